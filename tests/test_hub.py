"""Publishing to the Hub and loading back, against the Hub stand-in on 127.0.0.1.

Every call goes through the real `huggingface_hub` and `datasets` clients.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import DatasetCard

from meadow import build, load_mixture, pull, push
from meadow.errors import HubError
from meadow.hub import tag_of
from meadow.publications import PUBLISHED, publications, published
from meadow.store import list_revisions, revision_dir
from tests.cli import run_cli
from tests.hub_server import HUB_TOKEN, patch_backoff_sleep
from tests.toy_source import write_toy

TOKEN = HUB_TOKEN
SAMPLES = Path(__file__).resolve().parent.parent / "meadow" / "samples"


@pytest.fixture
def toy_build(tmp_path):
    raw = write_toy(tmp_path / "toy" / "t.jsonl", range(300))
    return build(sources=["toy"], raw={"toy": raw}, name="small", validation=0.1, test=0.1)


def rows_of(dataset_dict) -> dict[str, list[dict]]:
    return {split: list(ds) for split, ds in dataset_dict.items()}


def test_push_then_load_at_the_tag_gives_the_local_rows(hub, toy_build):
    local = rows_of(load_mixture("small"))
    result = push("small", repo_id="org/meadow")
    assert result.tag == tag_of("small", toy_build.revision) == f"small-{toy_build.revision[:10]}"
    assert hub.tags("org/meadow")[result.tag] == result.commit == hub.commits("org/meadow")[-1]
    files = hub.files("org/meadow", result.tag)
    assert "README.md" in files and "data/small/manifest.json" in files
    assert any(p.startswith("data/small/train-") and p.endswith(".parquet") for p in files)
    record = published("small")
    assert record.pop("published_at").endswith("+00:00")
    assert record == {
        "repo_id": "org/meadow",
        "config": "small",
        "revision": toy_build.revision,
        "commit": result.commit,
        "tag": result.tag,
        "url": result.url,
    }
    loaded = load_mixture("org/meadow", name="small", revision=result.tag)
    assert rows_of(loaded) == local


def test_pull_into_a_fresh_store_loads_the_same_rows(hub, toy_build, monkeypatch, tmp_path):
    local = rows_of(load_mixture("small"))
    result = push("small", repo_id="org/meadow")
    monkeypatch.setenv("MEADOW_HOME", str(tmp_path / "elsewhere"))
    folder = pull("org/meadow", "small", revision=result.tag)
    assert folder.name == toy_build.revision
    assert [h["revision"] for h in list_revisions("small")] == [toy_build.revision]
    assert rows_of(load_mixture("small")) == local
    card = (folder / "README.md").read_text()
    assert "config_name: small" in card


def test_every_repo_a_revision_went_to_is_kept_once(hub, toy_build, capsys):
    first = push("small", repo_id="org/meadow")
    second = push("small", repo_id="org/mirror")
    again = push("small", repo_id="org/meadow")  # published before: no new entry
    assert again.commit == first.commit
    found = publications("small")
    assert [(p["repo_id"], p["commit"]) for p in found] == [
        ("org/mirror", second.commit),
        ("org/meadow", first.commit),
    ]
    assert published("small")["repo_id"] == "org/meadow"  # the latest push
    code, out, _ = run_cli(capsys, "show", "small")
    out = out.replace("\n", " ")
    assert code == 0
    assert f"published: org/mirror config small, tag {second.tag}" in out
    assert f"published: org/meadow config small, tag {first.tag}" in out


def test_a_hub_json_of_one_push_reads_as_one_entry(toy_build):
    record = {"repo_id": "org/old", "config": "small", "tag": "small-x", "commit": "c0ffee"}
    (toy_build.path / PUBLISHED).write_text(json.dumps(record))  # as meadow wrote it before
    assert publications("small") == [record]
    assert published("small") == record


def test_second_config_is_added_without_wiping_the_first(hub, toy_build, tmp_path):
    push("small", repo_id="org/meadow")
    raw = write_toy(tmp_path / "toy2" / "t.jsonl", range(1000, 1100))
    build(sources=["toy"], raw={"toy": raw}, name="other")
    second = push("other", repo_id="org/meadow")
    files = hub.files("org/meadow", second.commit)
    assert any(p.startswith("data/small/") for p in files)
    assert any(p.startswith("data/other/") for p in files)
    card = DatasetCard(files["README.md"].decode())
    configs = {c["config_name"] for c in card.data.to_dict()["configs"]}
    assert configs == {"small", "other"}
    assert (
        "<!-- meadow:config small -->" in card.text and "<!-- meadow:config other -->" in card.text
    )
    assert rows_of(
        load_mixture("org/meadow", name="small", revision=f"small-{toy_build.revision[:10]}")
    )


def test_publishing_the_same_build_twice_makes_no_new_commit(hub, toy_build):
    first = push("small", repo_id="org/meadow")
    commits = hub.commits("org/meadow")
    again = push("small", repo_id="org/meadow")
    assert hub.commits("org/meadow") == commits
    assert (again.commit, again.tag, again.new_commit) == (first.commit, first.tag, False)


def test_a_failed_commit_leaves_the_repo_at_its_previous_revision(hub, toy_build, tmp_path):
    first = push("small", repo_id="org/meadow")
    before = hub.commits("org/meadow")
    raw = write_toy(tmp_path / "toy2" / "t.jsonl", range(50))
    build(sources=["toy"], raw={"toy": raw}, name="small")
    hub.fail("POST", "/commit/", 403, times=1)
    with pytest.raises(HubError, match=r"could not commit on org/meadow"):
        push("small", repo_id="org/meadow")
    assert hub.commits("org/meadow") == before
    assert hub.files("org/meadow", "main") == hub.files("org/meadow", first.commit)
    assert push("small", repo_id="org/meadow").new_commit  # the next try lands whole


def test_server_errors_and_rate_limits_are_retried(hub, toy_build, monkeypatch):
    monkeypatch.setattr("meadow.hub_client.time.sleep", lambda seconds: None)
    patch_backoff_sleep(monkeypatch)
    hub.fail("POST", "/commit/", 500, times=2)
    hub.fail("GET", "/refs", 429, times=1, headers={"Retry-After": "0"})
    result = push("small", repo_id="org/meadow")
    assert result.new_commit and hub.commits("org/meadow")[-1] == result.commit


def test_missing_token_fails_before_any_upload(hub, toy_build, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(
        HubError, match=r"no Hugging Face token: set HF_TOKEN or run `hf auth login`"
    ):
        push("small", repo_id="org/meadow")
    assert not any(method == "POST" for method, _ in hub.requests)


def test_rejected_token_fails_before_any_upload_and_is_never_printed(
    hub, toy_build, monkeypatch, capsys
):
    monkeypatch.setenv("HF_TOKEN", "hf_wrong_token_value")
    code, out, err = run_cli(capsys, "push", "small", "--repo", "org/meadow")
    assert code != 0
    assert "rejected the Hugging Face token" in err and err.count("\n") == 1
    assert "hf_wrong_token_value" not in out + err
    assert not any(method == "POST" for method, _ in hub.requests)


def test_cli_build_push_then_load_the_sample(hub, capsys, monkeypatch):
    code, out, err = run_cli(
        capsys, "build", "--mixture", "sample", "--push", "--repo", "test/meadow"
    )
    assert code == 0, err
    record = published("sample")
    assert f"tag: {record['tag']}" in out and f"commit: {record['commit']}" in out
    local = rows_of(load_mixture("sample"))
    loaded = load_mixture("test/meadow", name="sample", revision=record["tag"])
    assert rows_of(loaded) == local
    manifest = json.loads(hub.files("test/meadow", record["tag"])["data/sample/manifest.json"])
    assert manifest["revision"] == record["revision"]
    code, out, _ = run_cli(capsys, "show", "sample")
    assert f"published: test/meadow config sample, tag {record['tag']}" in out.replace("\n", " ")


def test_load_without_a_revision_says_which_it_took(hub, toy_build, caplog):
    result = push("small", repo_id="org/meadow")
    with caplog.at_level("WARNING", logger="meadow.hub"):
        load_mixture("org/meadow", name="small")
    assert f"commit {result.commit}" in caplog.text


def test_loading_a_config_the_repo_lacks_is_a_clear_error(hub, toy_build):
    result = push("small", repo_id="org/meadow")
    with pytest.raises(HubError, match=r"has no meadow config 'nope'"):
        load_mixture("org/meadow", name="nope", revision=result.commit)


def test_the_local_card_is_the_published_one(hub, toy_build):
    result = push("small", repo_id="org/meadow")
    local_card = (revision_dir("small") / "README.md").read_text()
    remote = hub.files("org/meadow", result.tag)["README.md"].decode()
    assert DatasetCard(remote).data.to_dict() == DatasetCard(local_card).data.to_dict()
