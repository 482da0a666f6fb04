"""Publishing a built mixture to the Hugging Face Hub, and loading one back.

A mixture is one config of a dataset repo: its shards under `data/{config}/`, its manifest
beside them, its chart under `assets/{config}/` and its part of the README. A publish is
one commit made with `parent_commit` set to the head it was prepared against, so it lands
whole or not at all, then a tag `{config}-{revision[:10]}` that the trainer can pin.
Everything the Hub does goes through `huggingface_hub`; meadow adds only the layout, the
card merge, retries on 429/5xx, and the record of what was published in the local store.
Adapters (`meadow train --push`) and eval results (`meadow eval --push`) are committed the
same way, through `read_refs` and `commit` here; the token checks and retries are
`meadow.hub_client`'s, the record of publications `meadow.publications`'.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from meadow.errors import HubError, LoadMixtureError
from meadow.hub_client import authenticated, check_repo_id, retrying
from meadow.manifest import MANIFEST_FILE
from meadow.manifest import read as read_manifest_file
from meadow.progress import quiet_datasets
from meadow.publications import record_publication
from meadow.store import (
    adopt_revision,
    chart_path,
    data_folder,
    read_manifest,
    revision_dir,
)

logger = logging.getLogger("meadow.hub")

REPO_TYPE = "dataset"


@dataclass(frozen=True)
class PushResult:
    repo_id: str
    config: str
    revision: str
    commit: str
    tag: str
    url: str
    new_commit: bool  # False when this build was already published


def tag_of(config: str, revision: str) -> str:
    """The tag of a published build: `{config}-{revision[:10]}`."""
    return f"{config}-{revision[:10]}"


# -- publishing ----------------------------------------------------------------------------


def push(
    name: str,
    *,
    revision: str | None = None,
    repo_id: str | None = None,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
) -> PushResult:
    """Publish revision `revision` (default: the latest) of `name` as config `name` of a repo.

    The token comes from `token`, `HF_TOKEN` or the `hf auth login` cache; it is checked
    before anything is uploaded and never printed. Publishing the same build twice makes no
    new commit.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    from meadow.card_merge import merge_dataset_card

    folder = revision_dir(name, revision)
    manifest = read_manifest(name, folder.name)
    revision = manifest["revision"]
    api, user = authenticated(token, endpoint)
    repo_id = repo_id or f"{user}/{name}"
    check_repo_id(repo_id)
    tag = tag_of(name, revision)
    retrying(
        lambda: api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True),
        "create the repo",
        repo_id,
    )
    refs = read_refs(api, repo_id, REPO_TYPE)
    if tag in refs.tags:  # published before: same revision, same content
        sha = refs.tags[tag]
        return _published(folder, repo_id, name, revision, sha, tag, api, new_commit=False)
    head = refs.head
    remote = _remote_files(api, repo_id, head)
    if head is not None and _same_build(api, repo_id, head, name, revision, remote):
        tag_commit(api, repo_id, tag, head, repo_type=REPO_TYPE, refs=refs)
        return _published(folder, repo_id, name, revision, head, tag, api, new_commit=False)
    existing = remote_text(api, repo_id, head, "README.md") if "README.md" in remote else None
    card = merge_dataset_card(existing, (folder / "README.md").read_text(), name)
    local = _local_files(folder, name)
    operations: list[Any] = [
        CommitOperationDelete(path_in_repo=path)
        for path in sorted(remote)
        if _belongs_to(path, name) and path not in local
    ]
    operations += [
        CommitOperationAdd(path_in_repo=path, path_or_fileobj=str(source))
        for path, source in sorted(local.items())
    ]
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card.encode()))
    sha = commit(
        api,
        repo_id,
        operations,
        f"meadow: {name} revision {revision}",
        repo_type=REPO_TYPE,
        refs=refs,
        description=f"Built by meadow; manifest at {data_folder(name)}/{MANIFEST_FILE}.",
        tag=tag,
    )
    return _published(folder, repo_id, name, revision, sha, tag, api, new_commit=True)


def _published(
    folder: Path,
    repo_id: str,
    config: str,
    revision: str,
    commit: str,
    tag: str,
    api: Any,
    *,
    new_commit: bool,
) -> PushResult:
    url = f"{api.endpoint}/datasets/{repo_id}/tree/{tag}"
    result = PushResult(repo_id, config, revision, commit, tag, url, new_commit)
    record = {k: v for k, v in asdict(result).items() if k != "new_commit"}
    record["published_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record_publication(folder, record)
    return result


def _local_files(folder: Path, config: str) -> dict[str, Path]:
    """Repo path -> local file of everything a config publishes (not the README)."""
    files = {
        f"{data_folder(config)}/{p.name}": p
        for p in sorted((folder / data_folder(config)).glob("*.parquet"))
    }
    files[f"{data_folder(config)}/{MANIFEST_FILE}"] = folder / MANIFEST_FILE
    chart = folder / chart_path(config)
    if chart.is_file():
        files[chart_path(config)] = chart
    return files


def _belongs_to(path: str, config: str) -> bool:
    return path.startswith(f"{data_folder(config)}/") or path.startswith(f"assets/{config}/")


def _same_build(
    api: Any, repo_id: str, head: str | None, config: str, revision: str, remote: set[str]
) -> bool:
    """Whether the repo's head already holds this build of `config`."""
    path = f"{data_folder(config)}/{MANIFEST_FILE}"
    if head is None or path not in remote:
        return False
    try:
        return json.loads(remote_text(api, repo_id, head, path)).get("revision") == revision
    except ValueError:
        return False


def _remote_files(api: Any, repo_id: str, head: str | None) -> set[str]:
    from huggingface_hub.hf_api import RepoFile  # not at the top level before 1.0

    if head is None:
        return set()
    entries = retrying(
        lambda: api.list_repo_tree(repo_id, repo_type=REPO_TYPE, revision=head, recursive=True),
        "list files",
        repo_id,
    )
    return {entry.path for entry in entries if isinstance(entry, RepoFile)}


# -- reading and committing: the one way meadow writes to a Hub repo --------------------------


@dataclass(frozen=True)
class Refs:
    """A repo's `main` head and its tags, read once before a commit is prepared.

    The commit is made with this head as its parent, so a change pushed meanwhile makes it
    fail instead of being overwritten.
    """

    head: str | None  # None: an empty repo
    tags: dict[str, str]  # tag -> commit


def read_refs(api: Any, repo_id: str, repo_type: str) -> Refs:
    """The head of `main` and the tags of `repo_id`, to prepare a commit against."""
    refs = retrying(lambda: api.list_repo_refs(repo_id, repo_type=repo_type), "read refs", repo_id)
    head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
    return Refs(head, {ref.name: ref.target_commit for ref in refs.tags})


def commit(
    api: Any,
    repo_id: str,
    operations: list[Any],
    message: str,
    *,
    repo_type: str,
    refs: Refs,
    description: str | None = None,
    tag: str | None = None,
    move_tag: bool = False,
) -> str:
    """Commit `operations` in one commit on `refs.head`, then tag it; the commit's sha.

    One commit lands whole or not at all, and fails rather than overwrite a change made
    since `refs` were read. `tag` and `move_tag` are `tag_commit`'s.
    """
    info = retrying(
        lambda: api.create_commit(
            repo_id,
            operations,
            commit_message=message,
            commit_description=description,
            repo_type=repo_type,
            parent_commit=refs.head,
        ),
        "commit",
        repo_id,
    )
    if tag is not None:
        tag_commit(api, repo_id, tag, info.oid, repo_type=repo_type, refs=refs, move=move_tag)
    return info.oid


def tag_commit(
    api: Any, repo_id: str, tag: str, sha: str, *, repo_type: str, refs: Refs, move: bool = False
) -> None:
    """Tag commit `sha`. A tag that exists stays on its commit (a dataset tag names one
    build), unless `move`: then it is deleted and made again on `sha` (an adapter's tag
    follows its latest training on that build)."""
    if move and tag in refs.tags:
        retrying(lambda: api.delete_tag(repo_id, tag=tag, repo_type=repo_type), "tag", repo_id)
    retrying(
        lambda: api.create_tag(
            repo_id, tag=tag, revision=sha, repo_type=repo_type, exist_ok=not move
        ),
        "tag",
        repo_id,
    )


def remote_text(
    api: Any, repo_id: str, revision: str, path: str, *, repo_type: str = REPO_TYPE
) -> str:
    """The text of file `path` of a repo at `revision` (a card to merge, a manifest to
    compare), downloaded with `api`'s token and endpoint."""
    from huggingface_hub import hf_hub_download

    with tempfile.TemporaryDirectory(prefix="meadow-hub-") as tmp:
        local = retrying(
            lambda: hf_hub_download(
                repo_id,
                path,
                repo_type=repo_type,
                revision=revision,
                local_dir=tmp,
                token=api.token,
                endpoint=api.endpoint,
            ),
            f"download {path}",
            repo_id,
        )
        return Path(local).read_text(encoding="utf-8")


# -- loading back ---------------------------------------------------------------------------


def pull(
    repo_id: str,
    name: str,
    *,
    revision: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
) -> Path:
    """Download config `name` of `repo_id` at `revision` (a tag, branch or commit; the
    repo's head when None, and then the log says which) into the local store."""
    from huggingface_hub import snapshot_download

    check_repo_id(repo_id)
    if revision is None:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=endpoint, token=token or None)
        info = retrying(lambda: api.repo_info(repo_id, repo_type=REPO_TYPE), "read", repo_id)
        revision = info.sha
        logger.warning(
            "load_mixture(%r) without a revision: took the head of main, commit %s; pin it "
            "with revision=%r or the build's tag (%s-…)",
            repo_id,
            revision,
            revision,
            name,
        )
    patterns = [f"{data_folder(name)}/*", f"assets/{name}/*", "README.md"]
    with tempfile.TemporaryDirectory(prefix="meadow-pull-") as tmp:
        retrying(
            lambda: snapshot_download(
                repo_id,
                repo_type=REPO_TYPE,
                revision=revision,
                allow_patterns=patterns,
                local_dir=tmp,
                token=token or None,
                endpoint=endpoint,
            ),
            "download",
            repo_id,
        )
        root = Path(tmp)
        manifest_file = root / data_folder(name) / MANIFEST_FILE
        if not manifest_file.is_file():
            raise HubError(
                f"{repo_id} at {revision} has no meadow config {name!r} "
                f"({data_folder(name)}/{MANIFEST_FILE} is missing): check the name and revision"
            )
        shutil.rmtree(root / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
        manifest_file.rename(root / MANIFEST_FILE)
        folder = adopt_revision(name, read_manifest_file(root).revision, root)
    record = {"repo_id": repo_id, "config": name, "pulled_revision": revision}
    record_publication(folder, record)
    return folder


def load_mixture(
    name_or_repo: str,
    *,
    name: str | None = None,
    revision: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
):
    """A mixture as a `datasets.DatasetDict`, from the local store or from a Hub repo.

        load_mixture("my-mix")                                    # the local store
        load_mixture("my-mix", revision="3f2a9c0d")               # a pinned local revision
        load_mixture("org/meadow", name="small", revision="small-3f2a9c0d1e")   # the Hub

    A Hub repo is pulled into the local store first (only config `name`, at `revision`),
    so the rows are the same as the local build's, in the same order.
    """
    from meadow import store

    if "/" not in name_or_repo:
        with quiet_datasets():
            return store.load_local_mixture(name_or_repo, name=name, revision=revision)
    if not name:
        raise LoadMixtureError(
            f"load_mixture({name_or_repo!r}) needs name=CONFIG: the mixture's name in that "
            "repo (its config_name)"
        )
    folder = pull(name_or_repo, name, revision=revision, token=token, endpoint=endpoint)
    with quiet_datasets():
        return store.load_local_mixture(name, revision=folder.name)


__all__ = [
    "PushResult",
    "Refs",
    "commit",
    "load_mixture",
    "pull",
    "push",
    "read_refs",
    "remote_text",
    "tag_commit",
    "tag_of",
]
