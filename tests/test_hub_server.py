"""The Hub stand-in, driven by the real `huggingface_hub` and `datasets` clients.

How a test talks to it (see `use_hub` in tests/hub_server.py):

    with HubServer(tokens={"hf_good"}) as hub:
        use_hub(hub, monkeypatch, tmp_path)
        api = HfApi(endpoint=hub.url, token="hf_good")
        hf_hub_download(..., endpoint=hub.url)  # or rely on the patched constants.ENDPOINT
        datasets.load_dataset("org/name", name=..., revision=...)  # datasets.config.HF_ENDPOINT

Both libraries read `HF_ENDPOINT`, `HF_HUB_OFFLINE`, `HF_HUB_DISABLE_XET`, `HF_HOME`, … once,
at import, so setting the environment inside a test changes nothing: `use_hub` patches
the values they were read into (and sets the environment too, for subprocesses). The
suite's conftest sets `HF_HUB_OFFLINE=1`; `use_hub` turns it off for these tests only.
"""

from __future__ import annotations

import io
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import huggingface_hub
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile, RepoFolder
from packaging.version import Version

from tests.hub_server import HubServer, patch_backoff_sleep, use_hub

TOKEN = "hf_good"
REPO = "org/name"
PARQUET = "data/small/train-00000-of-00001.parquet"


def parquet_bytes(texts: list[str]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": texts}), buffer)
    return buffer.getvalue()


def card(config: str) -> bytes:
    return (
        "---\n"
        "configs:\n"
        f"- config_name: {config}\n"
        "  data_files:\n"
        "  - split: train\n"
        f"    path: data/{config}/train-*.parquet\n"
        "---\n"
        "# A mixture\n"
    ).encode()


@pytest.fixture(autouse=True)
def no_outside_hosts(monkeypatch):
    """Nothing may leave the machine: refuse, and afterwards report, any other host looked up.

    (Reported at teardown because the clients swallow errors of their background calls.)
    """
    real_getaddrinfo = socket.getaddrinfo
    outside: list[str] = []

    def only_local(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            outside.append(host)
            raise OSError(f"the test tried to reach {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", only_local)
    yield
    assert outside == []


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with HubServer(tokens={TOKEN}) as server:
        use_hub(server, monkeypatch, tmp_path)
        yield server


@pytest.fixture
def api(hub) -> HfApi:
    return HfApi(endpoint=hub.url, token=TOKEN)


@pytest.fixture
def repo_with_parquet(hub, api) -> str:
    """`org/name` with a card and one parquet file committed together; returns that commit's sha."""
    api.create_repo(REPO, repo_type="dataset")
    info = api.create_commit(
        REPO,
        repo_type="dataset",
        commit_message="add small",
        operations=[
            CommitOperationAdd("README.md", card("small")),
            CommitOperationAdd(PARQUET, parquet_bytes(["a", "b", "c"])),
        ],
    )
    return info.oid


def test_create_repo_starts_with_an_initial_commit(hub, api):
    with pytest.raises(RepositoryNotFoundError):
        api.repo_info(REPO, repo_type="dataset")

    url = api.create_repo(REPO, repo_type="dataset")

    assert url == f"{hub.url}/datasets/{REPO}"
    assert len(hub.commits(REPO)) == 1
    assert list(hub.files(REPO)) == [".gitattributes"]
    assert api.repo_info(REPO, repo_type="dataset").sha == hub.commits(REPO)[0]


def test_create_existing_repo_conflicts_unless_exist_ok(hub, api):
    api.create_repo(REPO, repo_type="dataset")

    with pytest.raises(HfHubHTTPError) as raised:
        api.create_repo(REPO, repo_type="dataset")
    again = api.create_repo(REPO, repo_type="dataset", exist_ok=True)

    assert raised.value.response.status_code == 409
    assert again.repo_id == REPO
    assert len(hub.commits(REPO)) == 1


def test_commit_sends_parquet_through_lfs_and_card_inline(hub, api, repo_with_parquet):
    assert hub.commits(REPO)[-1] == repo_with_parquet
    assert len(hub.commits(REPO)) == 2
    files = hub.files(REPO)
    assert files["README.md"] == card("small")
    assert pq.read_table(io.BytesIO(files[PARQUET])).column("text").to_pylist() == ["a", "b", "c"]
    methods = [method for method, path in hub.requests]
    assert ("POST", f"/datasets/{REPO}.git/info/lfs/objects/batch") in hub.requests
    assert methods.count("PUT") == 1  # the parquet only; the card went inline
    assert ("POST", "/api/validate-yaml") in hub.requests


def test_commit_deletes_files(hub, api, repo_with_parquet):
    api.create_commit(
        REPO,
        repo_type="dataset",
        commit_message="drop data",
        operations=[CommitOperationDelete(PARQUET)],
    )

    assert PARQUET not in hub.files(REPO)
    assert PARQUET in hub.files(REPO, revision=repo_with_parquet)


def test_unchanged_files_are_not_committed_again(hub, api, repo_with_parquet):
    api.create_commit(
        REPO,
        repo_type="dataset",
        commit_message="same again",
        operations=[CommitOperationAdd(PARQUET, parquet_bytes(["a", "b", "c"]))],
    )

    assert hub.commits(REPO)[-1] == repo_with_parquet


def test_refs_list_main_and_tags(hub, api, repo_with_parquet):
    api.create_tag(REPO, repo_type="dataset", tag="v1")

    refs = api.list_repo_refs(REPO, repo_type="dataset")

    assert [(b.name, b.ref, b.target_commit) for b in refs.branches] == [
        ("main", "refs/heads/main", repo_with_parquet)
    ]
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [
        ("v1", "refs/tags/v1", repo_with_parquet)
    ]
    assert hub.tags(REPO) == {"v1": repo_with_parquet}


def test_existing_tag_conflicts(hub, api, repo_with_parquet):
    api.create_tag(REPO, repo_type="dataset", tag="v1")

    with pytest.raises(HfHubHTTPError) as raised:
        api.create_tag(REPO, repo_type="dataset", tag="v1")

    assert raised.value.response.status_code == 409


def test_download_at_tag_and_sha_after_main_moved_on(hub, api, repo_with_parquet):
    api.create_tag(REPO, repo_type="dataset", tag="v1")
    api.upload_file(
        path_or_fileobj=parquet_bytes(["newer"]),
        path_in_repo=PARQUET,
        repo_id=REPO,
        repo_type="dataset",
        commit_message="newer data",
    )
    tagged = hub.files(REPO, revision="v1")[PARQUET]

    for revision in ("v1", repo_with_parquet, "refs/tags/v1"):
        path = hf_hub_download(
            REPO, PARQUET, repo_type="dataset", revision=revision, endpoint=hub.url
        )
        with open(path, "rb") as file:
            assert file.read() == tagged, revision
    latest = hf_hub_download(REPO, PARQUET, repo_type="dataset", endpoint=hub.url)

    assert pq.read_table(latest).column("text").to_pylist() == ["newer"]
    assert f"/snapshots/{repo_with_parquet}/" in path.replace("\\", "/")


def test_download_headers_name_the_commit_and_the_lfs_sha256(hub, api, repo_with_parquet):
    url = f"{hub.url}/datasets/{REPO}/resolve/main/{PARQUET}"
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request) as response:
        headers = response.headers
    sha256 = api.get_paths_info(REPO, [PARQUET], repo_type="dataset")[0].lfs.sha256

    assert headers["X-Repo-Commit"] == repo_with_parquet
    assert headers["ETag"] == headers["X-Linked-Etag"] == f'"{sha256}"'
    assert int(headers["X-Linked-Size"]) == int(headers["Content-Length"]) > 0


def test_missing_repo_revision_or_file_raise_the_typed_errors(hub, api, repo_with_parquet):
    def download(repo_id=REPO, filename=PARQUET, revision=None):
        return hf_hub_download(
            repo_id, filename, repo_type="dataset", revision=revision, endpoint=hub.url
        )

    with pytest.raises(RepositoryNotFoundError):
        download(repo_id="org/missing")
    with pytest.raises(RevisionNotFoundError):
        download(revision="v9")
    with pytest.raises(EntryNotFoundError):
        download(filename="data/missing.parquet")
    with pytest.raises(RevisionNotFoundError):
        api.repo_info(REPO, repo_type="dataset", revision="refs%2Fpr%2F1")


def test_snapshot_download_at_tag_with_allow_patterns(hub, api, repo_with_parquet):
    api.create_tag(REPO, repo_type="dataset", tag="v1")
    api.upload_file(
        path_or_fileobj=b"later", path_in_repo="data/later.txt", repo_id=REPO, repo_type="dataset"
    )

    folder = snapshot_download(
        REPO, repo_type="dataset", revision="v1", allow_patterns=["data/*"], endpoint=hub.url
    )

    found = sorted(
        str(path.relative_to(folder)).replace("\\", "/")
        for path in Path(folder).rglob("*")
        if path.is_file()
    )
    assert found == [PARQUET]


def test_tree_lists_folders_and_lfs_files(hub, api, repo_with_parquet):
    everything = list(api.list_repo_tree(REPO, repo_type="dataset", recursive=True))
    top = list(api.list_repo_tree(REPO, repo_type="dataset"))
    inside = list(api.list_repo_tree(REPO, path_in_repo="data/small", repo_type="dataset"))

    assert {entry.path for entry in everything} == {
        ".gitattributes",
        "README.md",
        "data",
        "data/small",
        PARQUET,
    }
    assert sorted((entry.path, type(entry).__name__) for entry in top) == [
        (".gitattributes", "RepoFile"),
        ("README.md", "RepoFile"),
        ("data", "RepoFolder"),
    ]
    [parquet] = inside
    assert isinstance(parquet, RepoFile) and parquet.lfs is not None
    assert parquet.lfs.size == parquet.size == len(hub.files(REPO)[PARQUET])
    assert api.list_repo_files(REPO, repo_type="dataset") == [
        ".gitattributes",
        "README.md",
        PARQUET,
    ]
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(REPO, path_in_repo="nowhere", repo_type="dataset"))
    assert isinstance(
        api.get_paths_info(REPO, ["data", "nowhere"], repo_type="dataset")[0], RepoFolder
    )


def test_repo_info_lists_files_and_card_data(hub, api, repo_with_parquet):
    info = api.repo_info(REPO, repo_type="dataset", files_metadata=True)

    assert info.sha == repo_with_parquet
    assert [s.rfilename for s in info.siblings] == [".gitattributes", "README.md", PARQUET]
    assert info.siblings[2].lfs is not None
    assert info.card_data.configs[0]["config_name"] == "small"
    assert [c.commit_id for c in api.list_repo_commits(REPO, repo_type="dataset")] == list(
        reversed(hub.commits(REPO))
    )


def test_parent_commit_that_is_not_the_head_is_refused(hub, api, repo_with_parquet):
    first = hub.commits(REPO)[0]

    with pytest.raises(HfHubHTTPError) as raised:
        api.upload_file(
            path_or_fileobj=b"x",
            path_in_repo="x.txt",
            repo_id=REPO,
            repo_type="dataset",
            parent_commit=first,
        )
    api.upload_file(
        path_or_fileobj=b"x",
        path_in_repo="x.txt",
        repo_id=REPO,
        repo_type="dataset",
        parent_commit=repo_with_parquet,
    )

    assert raised.value.response.status_code == 412
    assert len(hub.commits(REPO)) == 3


def test_server_error_on_commit_leaves_history_unchanged(hub, api):
    api.create_repo(REPO, repo_type="dataset")
    before = hub.commits(REPO)
    hub.fail("POST", "/commit/", 500)
    operations = [CommitOperationAdd(PARQUET, parquet_bytes(["a"]))]

    with pytest.raises(HfHubHTTPError) as raised:  # the client does not retry commits
        api.create_commit(REPO, repo_type="dataset", commit_message="m", operations=operations)

    assert raised.value.response.status_code == 500
    assert hub.commits(REPO) == before
    api.create_commit(REPO, repo_type="dataset", commit_message="m", operations=operations)
    assert len(hub.commits(REPO)) == 2


def test_tokens_guard_writes_and_private_repos(hub, api):
    anonymous = HfApi(endpoint=hub.url, token=False)
    wrong = HfApi(endpoint=hub.url, token="hf_bad")

    with pytest.raises(HfHubHTTPError) as bad_token:
        wrong.create_repo(REPO, repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as no_token:
        anonymous.create_repo(REPO, repo_type="dataset")
    api.create_repo(REPO, repo_type="dataset")
    api.create_repo("org/secret", repo_type="dataset", private=True)

    assert bad_token.value.response.status_code == 401
    assert no_token.value.response.status_code == 401
    assert anonymous.repo_info(REPO, repo_type="dataset").sha == hub.commits(REPO)[0]
    with pytest.raises(RepositoryNotFoundError):
        anonymous.repo_info("org/secret", repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as bad_read:
        wrong.repo_info(REPO, repo_type="dataset")
    assert bad_read.value.response.status_code == 401
    assert api.repo_info("org/secret", repo_type="dataset").private
    assert api.whoami()["name"] == "stand-in"


def test_any_token_is_accepted_without_a_token_list(monkeypatch, tmp_path):
    with HubServer() as open_hub:
        use_hub(open_hub, monkeypatch, tmp_path)
        HfApi(endpoint=open_hub.url, token=False).create_repo(REPO, repo_type="dataset")
        HfApi(endpoint=open_hub.url, token="hf_anything").upload_file(
            path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=REPO, repo_type="dataset"
        )

        assert open_hub.files(REPO)["x.txt"] == b"x"


@pytest.mark.skipif(
    Version(huggingface_hub.__version__) < Version("1.2"),
    reason="huggingface_hub retries a preupload 429 itself from 1.2 on; meadow's own "
    "retries are tested in test_hub.py with every version",
)
def test_rate_limit_honours_retry_after_then_succeeds(hub, api, monkeypatch):
    waits = patch_backoff_sleep(monkeypatch)
    api.create_repo(REPO, repo_type="dataset")
    hub.fail("POST", "/preupload/", 429, headers={"Retry-After": "2"})
    hub.fail("PUT", "/_lfs/", 503, times=2)

    api.upload_file(
        path_or_fileobj=parquet_bytes(["a"]),
        path_in_repo=PARQUET,
        repo_id=REPO,
        repo_type="dataset",
    )

    assert waits == [3.0, 1.0, 2.0]  # Retry-After + 1 s, then the plain backoff
    assert [m for m, p in hub.requests if "/preupload/" in p] == ["POST", "POST"]
    assert [m for m, p in hub.requests if p.startswith("/_lfs/")] == ["PUT"] * 3
    assert PARQUET in hub.files(REPO)


def test_load_dataset_config_at_tag(hub, api, repo_with_parquet):
    import datasets

    api.create_tag(REPO, repo_type="dataset", tag="v1")
    api.upload_file(
        path_or_fileobj=parquet_bytes(["newer"]),
        path_in_repo=PARQUET,
        repo_id=REPO,
        repo_type="dataset",
    )

    tagged = datasets.load_dataset(REPO, name="small", revision="v1", split="train")
    latest = datasets.load_dataset(REPO, name="small", split="train")

    assert tagged["text"] == ["a", "b", "c"]
    assert latest["text"] == ["newer"]
    assert ("GET", f"/datasets/{REPO}/resolve/{repo_with_parquet}/{PARQUET}") in hub.requests


def test_push_to_hub_then_load_dataset_round_trips(hub, api):
    import datasets

    api.create_repo(REPO, repo_type="dataset")

    datasets.Dataset.from_dict({"text": ["x", "y"]}).push_to_hub(
        REPO, config_name="cfg", token=TOKEN
    )
    loaded = datasets.load_dataset(REPO, name="cfg", split="train")

    assert loaded["text"] == ["x", "y"]
    assert "cfg/train-00000-of-00001.parquet" in hub.files(REPO)
    assert "config_name: cfg" in hub.files(REPO)["README.md"].decode()


def test_unknown_routes_answer_json_404(hub):
    with urllib.request.urlopen(f"{hub.url}/api/agent-harnesses") as response:
        assert json.load(response) == {"standardEnvVars": [], "harnesses": {}}
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{hub.url}/api/telemetry/anything")

    assert raised.value.code == 404
    assert "error" in json.load(raised.value)
