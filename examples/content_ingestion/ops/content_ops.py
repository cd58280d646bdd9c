"""The five ops of the content ingestion job, as methods of an ops object holding Deps."""

from __future__ import annotations

import hashlib
import re

from attrs import frozen

from daggo_core import Context, NoInput

from resources.deps import Deps

TAG = re.compile(r"<[^>]*>")
TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
LINK = re.compile(r"""<a\s[^>]*href=["']([^"']+)["']""", re.IGNORECASE)
ENTITY = re.compile(r"\b(?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)+\b")


@frozen
class ScrapePageOutput:
    url: str
    body: str
    status_code: int


@frozen
class ExtractTitleInput:
    page: ScrapePageOutput


@frozen
class ExtractTitleOutput:
    title: str


@frozen
class ExtractEntitiesInput:
    page: ScrapePageOutput


@frozen
class ExtractEntitiesOutput:
    entities: list[str]


@frozen
class ExtractLinksInput:
    page: ScrapePageOutput


@frozen
class ExtractLinksOutput:
    links: list[str]


@frozen
class UpsertIndexInput:
    page: ScrapePageOutput
    title: ExtractTitleOutput
    entities: ExtractEntitiesOutput
    links: ExtractLinksOutput


@frozen
class UpsertIndexOutput:
    document_id: str
    documents_in_index: int


class ContentOps:
    """Ops bound to the app's dependencies (the seed's `MyOps` pattern)."""

    def __init__(self, deps: Deps, *, page_path: str = "index.html") -> None:
        self.deps = deps
        self.page_path = page_path

    def scrape_page(self, ctx: Context, inp: NoInput) -> ScrapePageOutput:
        """Fetch the page to ingest."""
        url = self.deps.site.url(self.page_path)
        result = self.deps.scraper(url)
        ctx.log.info("fetched %s (%d bytes)", url, len(result.body))
        return ScrapePageOutput(url=url, body=result.body, status_code=result.status_code)

    def extract_title(self, ctx: Context, inp: ExtractTitleInput) -> ExtractTitleOutput:
        """Read the page's <title>."""
        match = TITLE.search(inp.page.body)
        return ExtractTitleOutput(title=match.group(1).strip() if match else "")

    def extract_entities(self, ctx: Context, inp: ExtractEntitiesInput) -> ExtractEntitiesOutput:
        """Find capitalised multi-word names in the page text (naive, good enough for a demo)."""
        text = TAG.sub(" ", inp.page.body)
        entities = sorted(set(ENTITY.findall(" ".join(text.split()))))
        ctx.log.info("found %d entities", len(entities))
        return ExtractEntitiesOutput(entities=entities)

    def extract_links(self, ctx: Context, inp: ExtractLinksInput) -> ExtractLinksOutput:
        """List the page's outgoing links."""
        return ExtractLinksOutput(links=LINK.findall(inp.page.body))

    def upsert_index(self, ctx: Context, inp: UpsertIndexInput) -> UpsertIndexOutput:
        """Store title, entities and links in the search index."""
        doc_id = hashlib.sha256(inp.page.url.encode()).hexdigest()[:16]
        total = self.deps.index.upsert(doc_id, {
            "url": inp.page.url, "title": inp.title.title,
            "entities": inp.entities.entities, "links": inp.links.links,
        })
        return UpsertIndexOutput(document_id=doc_id, documents_in_index=total)
