"""The content ingestion job: scrape a page, extract from it, index it."""

from __future__ import annotations

from daggo_core import JobDefinition, dag

from ops.content_ops import ContentOps


def content_ingestion_job(ops: ContentOps) -> JobDefinition:
    return (
        dag.job("content_ingestion", description="Scrape a page and index what it says.")
        .add(
            dag.op("scrape_page", ops.scrape_page),
            dag.op("extract_title", ops.extract_title),
            dag.op("extract_entities", ops.extract_entities),
            dag.op("extract_links", ops.extract_links),
            dag.op("upsert_index", ops.upsert_index),
        )
        .schedule("*/15 * * * *", timezone="UTC")
        .build()
    )
