from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.class_schema import ClassSchema
    from ..models.job_snapshot_partitions_type_0 import JobSnapshotPartitionsType0
    from ..models.job_snapshot_sourced import JobSnapshotSourced
    from ..models.job_snapshot_tags import JobSnapshotTags
    from ..models.op_snapshot import OpSnapshot
    from ..models.param_snapshot import ParamSnapshot
    from ..models.schedule_snapshot import ScheduleSnapshot


T = TypeVar("T", bound="JobSnapshot")


@_attrs_define
class JobSnapshot:
    """A job as stored: ops in execution order, params (the Params class's fields and the
    attrs classes nested in them), schedules and tags.

        Attributes:
            version (int | Unset):  Default: 2.
            ops (list[OpSnapshot] | Unset):
            params (list[ParamSnapshot] | Unset):
            param_classes (list[ClassSchema] | Unset):
            schedules (list[ScheduleSnapshot] | Unset):
            tags (JobSnapshotTags | Unset):
            partitions (JobSnapshotPartitionsType0 | None | Unset):
            partitions_description (str | Unset):  Default: ''.
            max_partitions_per_run (int | Unset):  Default: 1.
            sourced (JobSnapshotSourced | Unset):
            asset_key (None | str | Unset):
    """

    version: int | Unset = 2
    ops: list[OpSnapshot] | Unset = UNSET
    params: list[ParamSnapshot] | Unset = UNSET
    param_classes: list[ClassSchema] | Unset = UNSET
    schedules: list[ScheduleSnapshot] | Unset = UNSET
    tags: JobSnapshotTags | Unset = UNSET
    partitions: JobSnapshotPartitionsType0 | None | Unset = UNSET
    partitions_description: str | Unset = ""
    max_partitions_per_run: int | Unset = 1
    sourced: JobSnapshotSourced | Unset = UNSET
    asset_key: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_snapshot_partitions_type_0 import JobSnapshotPartitionsType0  # noqa: PLC0415

        version = self.version

        ops: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.ops, Unset):
            ops = []
            for ops_item_data in self.ops:
                ops_item = ops_item_data.to_dict()
                ops.append(ops_item)

        params: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = []
            for params_item_data in self.params:
                params_item = params_item_data.to_dict()
                params.append(params_item)

        param_classes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.param_classes, Unset):
            param_classes = []
            for param_classes_item_data in self.param_classes:
                param_classes_item = param_classes_item_data.to_dict()
                param_classes.append(param_classes_item)

        schedules: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.schedules, Unset):
            schedules = []
            for schedules_item_data in self.schedules:
                schedules_item = schedules_item_data.to_dict()
                schedules.append(schedules_item)

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        partitions: dict[str, Any] | None | Unset
        if isinstance(self.partitions, Unset):
            partitions = UNSET
        elif isinstance(self.partitions, JobSnapshotPartitionsType0):
            partitions = self.partitions.to_dict()
        else:
            partitions = self.partitions

        partitions_description = self.partitions_description

        max_partitions_per_run = self.max_partitions_per_run

        sourced: dict[str, Any] | Unset = UNSET
        if not isinstance(self.sourced, Unset):
            sourced = self.sourced.to_dict()

        asset_key: None | str | Unset
        if isinstance(self.asset_key, Unset):
            asset_key = UNSET
        else:
            asset_key = self.asset_key

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if version is not UNSET:
            field_dict["version"] = version
        if ops is not UNSET:
            field_dict["ops"] = ops
        if params is not UNSET:
            field_dict["params"] = params
        if param_classes is not UNSET:
            field_dict["param_classes"] = param_classes
        if schedules is not UNSET:
            field_dict["schedules"] = schedules
        if tags is not UNSET:
            field_dict["tags"] = tags
        if partitions is not UNSET:
            field_dict["partitions"] = partitions
        if partitions_description is not UNSET:
            field_dict["partitions_description"] = partitions_description
        if max_partitions_per_run is not UNSET:
            field_dict["max_partitions_per_run"] = max_partitions_per_run
        if sourced is not UNSET:
            field_dict["sourced"] = sourced
        if asset_key is not UNSET:
            field_dict["asset_key"] = asset_key

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.class_schema import ClassSchema  # noqa: PLC0415
        from ..models.job_snapshot_partitions_type_0 import JobSnapshotPartitionsType0  # noqa: PLC0415
        from ..models.job_snapshot_sourced import JobSnapshotSourced  # noqa: PLC0415
        from ..models.job_snapshot_tags import JobSnapshotTags  # noqa: PLC0415
        from ..models.op_snapshot import OpSnapshot  # noqa: PLC0415
        from ..models.param_snapshot import ParamSnapshot  # noqa: PLC0415
        from ..models.schedule_snapshot import ScheduleSnapshot  # noqa: PLC0415

        d = dict(src_dict)
        version = d.pop("version", UNSET)

        _ops = d.pop("ops", UNSET)
        ops: list[OpSnapshot] | Unset = UNSET
        if _ops is not UNSET:
            ops = []
            for ops_item_data in _ops:
                ops_item = OpSnapshot.from_dict(ops_item_data)

                ops.append(ops_item)

        _params = d.pop("params", UNSET)
        params: list[ParamSnapshot] | Unset = UNSET
        if _params is not UNSET:
            params = []
            for params_item_data in _params:
                params_item = ParamSnapshot.from_dict(params_item_data)

                params.append(params_item)

        _param_classes = d.pop("param_classes", UNSET)
        param_classes: list[ClassSchema] | Unset = UNSET
        if _param_classes is not UNSET:
            param_classes = []
            for param_classes_item_data in _param_classes:
                param_classes_item = ClassSchema.from_dict(param_classes_item_data)

                param_classes.append(param_classes_item)

        _schedules = d.pop("schedules", UNSET)
        schedules: list[ScheduleSnapshot] | Unset = UNSET
        if _schedules is not UNSET:
            schedules = []
            for schedules_item_data in _schedules:
                schedules_item = ScheduleSnapshot.from_dict(schedules_item_data)

                schedules.append(schedules_item)

        _tags = d.pop("tags", UNSET)
        tags: JobSnapshotTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = JobSnapshotTags.from_dict(_tags)

        def _parse_partitions(data: object) -> JobSnapshotPartitionsType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                partitions_type_0 = JobSnapshotPartitionsType0.from_dict(data)

                return partitions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobSnapshotPartitionsType0 | None | Unset, data)

        partitions = _parse_partitions(d.pop("partitions", UNSET))

        partitions_description = d.pop("partitions_description", UNSET)

        max_partitions_per_run = d.pop("max_partitions_per_run", UNSET)

        _sourced = d.pop("sourced", UNSET)
        sourced: JobSnapshotSourced | Unset
        if isinstance(_sourced, Unset):
            sourced = UNSET
        else:
            sourced = JobSnapshotSourced.from_dict(_sourced)

        def _parse_asset_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        asset_key = _parse_asset_key(d.pop("asset_key", UNSET))

        job_snapshot = cls(
            version=version,
            ops=ops,
            params=params,
            param_classes=param_classes,
            schedules=schedules,
            tags=tags,
            partitions=partitions,
            partitions_description=partitions_description,
            max_partitions_per_run=max_partitions_per_run,
            sourced=sourced,
            asset_key=asset_key,
        )

        return job_snapshot
