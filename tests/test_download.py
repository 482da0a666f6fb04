"""Downloads against a real HTTP server on 127.0.0.1; waits are recorded, not slept."""

from __future__ import annotations

import hashlib
import socket
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from meadow.download import download, sha256_file
from meadow.errors import DownloadError
from meadow.http import MAX_WAIT, UNREACHABLE_WAIT, USER_AGENT, make_client, retry_after
from tests.httpserver import LocalServer, Reply, Request, serve_bytes

DATA = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(10_000))  # 320 kB
DATA_SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def server():
    with LocalServer() as server:
        yield server


def test_downloads_file_and_verifies_sha256(server, client, sleeps, tmp_path):
    server.route("/raw.bin", serve_bytes(DATA))
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "cache" / "raw.bin"

    path = download(
        server.url("/raw.bin"),
        dest,
        sha256=DATA_SHA,
        client=client,
        sleep=sleeps.append,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert path == dest
    assert dest.read_bytes() == DATA
    assert not dest.with_name("raw.bin.part").exists()
    assert seen[-1] == (len(DATA), len(DATA))
    assert server.requests_to("/raw.bin")[0].headers["user-agent"] == USER_AGENT
    assert sleeps == []


def test_resumes_partial_download_with_range(server, client, tmp_path):
    server.route("/raw.bin", serve_bytes(DATA))
    dest = tmp_path / "raw.bin"
    dest.with_name("raw.bin.part").write_bytes(DATA[:1000])

    download(server.url("/raw.bin"), dest, sha256=DATA_SHA, client=client)

    (request,) = server.requests_to("/raw.bin")
    assert request.headers["range"] == "bytes=1000-"
    assert dest.read_bytes() == DATA


def test_restarts_when_server_ignores_range(server, client, tmp_path):
    server.route("/raw.bin", Reply(body=DATA))  # a 200 with the whole file, whatever we ask
    dest = tmp_path / "raw.bin"
    dest.with_name("raw.bin.part").write_bytes(b"stale bytes from another version")

    download(server.url("/raw.bin"), dest, sha256=DATA_SHA, client=client)

    assert server.requests_to("/raw.bin")[0].headers["range"].startswith("bytes=")
    assert dest.read_bytes() == DATA


def test_complete_part_answered_416_is_verified_and_kept(server, client, tmp_path):
    server.route("/raw.bin", serve_bytes(DATA))
    dest = tmp_path / "raw.bin"
    dest.with_name("raw.bin.part").write_bytes(DATA)

    download(server.url("/raw.bin"), dest, sha256=DATA_SHA, client=client)

    assert dest.read_bytes() == DATA


def test_dropped_connection_resumes_where_it_stopped(server, client, sleeps, tmp_path):
    full = serve_bytes(DATA)

    def drop_first(request: Request) -> Reply:
        if len(server.requests_to("/raw.bin")) == 1:  # promise everything, send 1000 bytes
            return Reply(body=DATA[:1000], headers={"Content-Length": str(len(DATA))}, close=True)
        return full(request)

    server.route("/raw.bin", drop_first)
    dest = tmp_path / "raw.bin"

    download(server.url("/raw.bin"), dest, sha256=DATA_SHA, client=client, sleep=sleeps.append)

    assert [r.headers.get("range") for r in server.requests_to("/raw.bin")] == [
        None,
        "bytes=1000-",
    ]
    assert dest.read_bytes() == DATA
    assert len(sleeps) == 1


def test_checksum_mismatch_deletes_download(server, client, tmp_path):
    server.route("/raw.bin", serve_bytes(DATA))
    dest = tmp_path / "raw.bin"

    with pytest.raises(DownloadError, match="sha256 mismatch: expected 0{64}, got") as info:
        download(server.url("/raw.bin"), dest, sha256="0" * 64, source="wikidoc", client=client)

    assert "--raw wikidoc=PATH" in str(info.value)
    assert not dest.exists()
    assert not dest.with_name("raw.bin.part").exists()


def test_unreachable_server_says_offline(client, sleeps, tmp_path):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/raw.bin"

    with pytest.raises(DownloadError, match=r"cannot reach 127\.0\.0\.1:\d+ \(offline\?\)") as info:
        download(url, tmp_path / "raw.bin", client=client, sleep=sleeps.append)

    assert url in str(info.value)
    assert "--raw SOURCE=PATH" in str(info.value)
    assert sleeps == [UNREACHABLE_WAIT]  # one short retry, not max_retries long ones


def _free_port() -> int:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "url, problem",
    [
        (None, r"cannot reach 127\.0\.0\.1:\d+ \(offline\?\) \(after 2 tries\)"),
        ("http://nonexistent.invalid/raw.bin", r"cannot reach nonexistent\.invalid \(offline\?\)"),
    ],
    ids=["connection_refused", "unresolvable_host"],
)
def test_offline_download_fails_in_seconds_naming_host_and_flag(url, problem, tmp_path):
    url = url or f"http://127.0.0.1:{_free_port()}/raw.bin"
    started = time.monotonic()  # real waits and the default client: what a user gets

    with pytest.raises(DownloadError, match=problem) as info:
        download(url, tmp_path / "raw.bin", source="mmlu")

    assert time.monotonic() - started < 5
    assert str(info.value).endswith("Download it yourself and pass --raw mmlu=PATH.")
    assert "\n" not in str(info.value)


def test_server_error_is_retried(server, client, sleeps, tmp_path):
    server.route("/raw.bin", [Reply(503), Reply(body=DATA)])

    download(server.url("/raw.bin"), tmp_path / "raw.bin", client=client, sleep=sleeps.append)

    assert len(server.requests_to("/raw.bin")) == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff plus jitter
    assert (tmp_path / "raw.bin").read_bytes() == DATA


def test_rate_limit_waits_retry_after(server, client, sleeps, tmp_path):
    server.route("/raw.bin", [Reply(429, headers={"Retry-After": "2"}), Reply(body=DATA)])

    download(server.url("/raw.bin"), tmp_path / "raw.bin", client=client, sleep=sleeps.append)

    assert sleeps == [2.0]


def test_retries_give_up_with_last_status(server, client, sleeps, tmp_path):
    server.route("/raw.bin", Reply(502))

    with pytest.raises(DownloadError, match=r"HTTP 502 Bad Gateway \(after 3 tries\)"):
        download(
            server.url("/raw.bin"),
            tmp_path / "raw.bin",
            client=client,
            sleep=sleeps.append,
            max_retries=2,
        )
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]


def test_not_found_fails_without_retry(server, client, sleeps, tmp_path):
    server.route("/raw.bin", Reply(404))

    with pytest.raises(DownloadError, match="HTTP 404 Not Found"):
        download(server.url("/raw.bin"), tmp_path / "raw.bin", client=client, sleep=sleeps.append)

    assert len(server.requests_to("/raw.bin")) == 1
    assert sleeps == []


@pytest.mark.parametrize("sha256", [DATA_SHA, None])
def test_existing_verified_file_makes_no_request(server, client, tmp_path, sha256):
    dest = tmp_path / "raw.bin"
    dest.write_bytes(DATA)

    assert download(server.url("/raw.bin"), dest, sha256=sha256, client=client) == dest
    assert server.requests == []


def test_existing_file_with_wrong_hash_is_fetched_again(server, client, tmp_path):
    server.route("/raw.bin", serve_bytes(DATA))
    dest = tmp_path / "raw.bin"
    dest.write_bytes(b"truncated")

    download(server.url("/raw.bin"), dest, sha256=DATA_SHA, client=client)

    assert dest.read_bytes() == DATA


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(DATA * 5)  # several 1 MiB chunks
    assert sha256_file(path) == hashlib.sha256(DATA * 5).hexdigest()


def test_retry_after_reads_seconds_and_dates():
    in_30s = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert retry_after("2") == 2.0
    assert 28 <= retry_after(in_30s) <= 30
    assert retry_after("86400") == MAX_WAIT
    assert retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_client_uses_meadow_user_agent():
    with make_client() as client:
        assert client.headers["User-Agent"].startswith("meadow/")
        assert client.follow_redirects
        assert isinstance(client.timeout, httpx.Timeout)
