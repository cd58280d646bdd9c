"""The storage contract on every backend, through the shared `storage` fixture."""

from __future__ import annotations

import pytest

from daggo_core.storage.base import Storage
from daggo_core.testing.storage_contract import StorageContract


class TestStorageContract(StorageContract):
    @pytest.fixture
    def storage(self, storage_backend) -> Storage:  # type: ignore[override]
        return storage_backend.open()
