"""A Hugging Face Hub stand-in on 127.0.0.1 for tests, served to the real `huggingface_hub` client.

    with HubServer(tokens={"hf_good"}) as hub:
        use_hub(hub, monkeypatch, tmp_path)  # point huggingface_hub and datasets at it
        api = HfApi(endpoint=hub.url, token="hf_good")
        api.create_repo("org/name", repo_type="dataset")
        hub.fail("POST", "/commit/", 500)  # the next commit answers 500
        ...
        hub.commits("org/name"), hub.files("org/name", "v1"), hub.tags("org/name"), hub.requests

What it serves (dataset repos; model and space repos share the code): `whoami-v2`,
repo creation and deletion, `validate-yaml`, `preupload` (`lfs` for `.parquet`, `.png`
and files over 10 MB), NDJSON commits (`file`, `lfsFile`, `deletedFile`,
`deletedFolder`; a `parentCommit` that is not the branch head gets 412), the LFS batch
API with basic `PUT` uploads (checked against their sha256), tags, refs, repo info,
commit lists, tree listings, `paths-info`, and `HEAD`/`GET` `resolve` with the headers
`hf_hub_download` reads (`X-Repo-Commit`, `ETag`; for LFS files the sha256 as
`X-Linked-Etag` with `X-Linked-Size`). Errors carry `X-Error-Code` (`RepoNotFound`,
`RevisionNotFound`, `EntryNotFound`) and an `{"error": ...}` body, as the Hub's do;
unknown routes answer 404 JSON. Everything lives in memory: each repo has a linear
history of `main` (its first commit holds `.gitattributes`, as on the Hub), tags, and
every commit keeps a full snapshot of the files.

Revisions are `main`, a tag, a full commit sha, or `refs/heads/…`/`refs/tags/…`
(URL-encoded or not). `requests` holds `(method, path)` as sent: the path without its
query string, still URL-encoded (`/api/datasets/org/name/tree/main/data%2Fx`); `fail`
matches `path_contains` against that same string.

The client reads its settings once, at import; see `use_hub` for what a test must patch.
Xet cannot be served here: uploads need `HF_HUB_DISABLE_XET` (patched by `use_hub`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import threading
import types
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

HUB_TOKEN = "hf_meadow_test_token"  # the token the `hub` fixture accepts and sets

LFS_SUFFIXES = (".parquet", ".png")
LFS_MIN_SIZE = 10 * 1024 * 1024
GITATTRIBUTES = b"".join(
    b"*%s filter=lfs diff=lfs merge=lfs -text\n" % suffix.encode() for suffix in LFS_SUFFIXES
)
WHOAMI_NAME = "stand-in"  # the user `whoami` names, for any accepted token
HARNESSES = {"standardEnvVars": [], "harnesses": {}}  # what `/api/agent-harnesses` answers

_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_SHA = re.compile(r"[0-9a-f]{40}")
_WRITES = {"POST", "PUT", "DELETE"}


@dataclass(frozen=True)
class _Blob:
    content: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def pointer(self) -> bytes:
        """The git-lfs pointer file stored in git in place of an LFS file's content."""
        return (
            "version https://git-lfs.github.com/spec/v1\n"
            f"oid sha256:{self.sha256}\nsize {len(self.content)}\n"
        ).encode()

    @property
    def git_oid(self) -> str:
        """The git blob id: of the content, or of the pointer for LFS files (as on the Hub)."""
        stored = self.pointer if self.lfs else self.content
        return hashlib.sha1(b"blob %d\0" % len(stored) + stored).hexdigest()

    def entry(self, path: str) -> dict[str, Any]:
        """The file's entry in tree and paths-info listings."""
        entry: dict[str, Any] = {
            "type": "file",
            "oid": self.git_oid,
            "size": len(self.content),
            "path": path,
        }
        if self.lfs:
            entry["lfs"] = {
                "oid": self.sha256,
                "size": len(self.content),
                "pointerSize": len(self.pointer),
            }
        return entry


@dataclass(frozen=True)
class _Commit:
    sha: str
    parent: str | None
    summary: str
    description: str
    date: str
    files: dict[str, _Blob]


@dataclass
class _Repo:
    type: str
    id: str
    private: bool
    created: str
    commits: dict[str, _Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def history(self, sha: str) -> list[_Commit]:
        """Commits from `sha` back to the first one, newest first."""
        out = []
        current: str | None = sha
        while current is not None:
            commit = self.commits[current]
            out.append(commit)
            current = commit.parent
        return out


@dataclass
class _Failure:
    method: str
    path_contains: str
    status: int
    times: int
    headers: dict[str, str]
    message: str | None = None


@dataclass
class _Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class HubError(Exception):
    """An error answer in the Hub's shape: `{"error": message}` and `X-Error-Code`."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.body = {"error": message, **(body or {})}
        if code is not None:
            self.headers["X-Error-Code"] = code


class HubServer:
    """A threaded Hugging Face Hub stand-in on a free port of 127.0.0.1 (a context manager).

    `tokens=None` accepts any token or none. Otherwise every write needs
    `Authorization: Bearer <one of tokens>` (401 without it), a token that is not one of
    them is refused on every request (401, as the Hub does), and private repos are only
    visible with a good token; public repos can be read with no token.
    """

    def __init__(self, *, tokens: set[str] | None = None) -> None:
        self.tokens = set(tokens) if tokens is not None else None
        self.requests: list[tuple[str, str]] = []
        self._repos: dict[tuple[str, str], _Repo] = {}
        self._lfs: dict[str, bytes] = {}
        self._failures: list[_Failure] = []
        self._counter = 0
        self._nonce = uuid.uuid4().hex  # shas never repeat across servers (clients cache by sha)
        self._lock = threading.RLock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    # ------------------------------------------------------------------ test-facing API

    def fail(
        self,
        method: str,
        path_contains: str,
        status: int,
        times: int = 1,
        headers: dict[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `times` requests of `method` whose path contains `path_contains`
        with `status` (and `headers`, e.g. `{"Retry-After": "1"}`, and `message` as the
        error body's text, e.g. one echoing the token); later ones are served."""
        with self._lock:
            self._failures.append(
                _Failure(method.upper(), path_contains, status, times, dict(headers or {}), message)
            )

    def commits(self, repo_id: str, repo_type: str = "dataset") -> list[str]:
        """The commit shas of `main`, oldest first (the first is the repo's initial commit)."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id)
            return [commit.sha for commit in reversed(repo.history(repo.branches["main"]))]

    def files(
        self, repo_id: str, revision: str = "main", repo_type: str = "dataset"
    ) -> dict[str, bytes]:
        """Path -> content of every file at a branch, tag or commit sha."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id)
            commit = repo.commits[_resolve(repo, revision)]
            return {path: blob.content for path, blob in sorted(commit.files.items())}

    def tags(self, repo_id: str, repo_type: str = "dataset") -> dict[str, str]:
        """Tag -> commit sha."""
        with self._lock:
            return dict(self._get_repo(repo_type, repo_id).tags)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------------ dispatch

    def _answer(
        self, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        with self._lock:
            self.requests.append((method, raw_path))
            failure = self._take_failure(method, raw_path)
            if failure is not None:
                message = (
                    failure.message or f"stand-in failure {failure.status} for {method} {raw_path}"
                )
                return _json_reply({"error": message}, failure.status, failure.headers)
            try:
                return self._route(method, raw_path, parse_qs(query), headers, body)
            except HubError as error:
                headers = {"X-Error-Message": error.message, **error.headers}
                return _json_reply(error.body, error.status, headers)

    def _take_failure(self, method: str, raw_path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and failure.path_contains in raw_path and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    def _route(
        self,
        method: str,
        raw_path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> _Reply:
        parts = [unquote(part) for part in raw_path.strip("/").split("/")]
        token = self._token(headers)
        if parts[0] == "api":
            return self._route_api(method, parts[1:], query, token, body)
        if parts[0] == "_lfs" and len(parts) == 2:
            return self._lfs_object(method, parts[1], body)
        repo_type = _TYPES.get(parts[0]) if parts[0] in ("datasets", "spaces") else None
        rest = parts[1:] if repo_type else parts
        repo_type = repo_type or "model"
        if len(rest) >= 3 and rest[2] == "resolve" and method in ("GET", "HEAD"):
            repo = self._readable_repo(repo_type, "/".join(rest[:2]), token)
            if len(rest) < 5:
                raise HubError(404, "Entry not found", "EntryNotFound")
            return self._resolve_file(repo, rest[3], "/".join(rest[4:]), method, headers)
        if (
            len(rest) == 6
            and rest[1].endswith(".git")
            and rest[2:] == ["info", "lfs", "objects", "batch"]
        ):
            repo_id = "/".join([rest[0], rest[1][: -len(".git")]])
            return self._lfs_batch(repo_type, repo_id, token, body)
        raise HubError(404, f"no route {method} {raw_path}")

    def _route_api(
        self,
        method: str,
        parts: list[str],
        query: dict[str, list[str]],
        token: str | None,
        body: bytes,
    ) -> _Reply:
        if parts == ["agent-harnesses"] and method == "GET":
            return _json_reply(HARNESSES)
        if parts == ["whoami-v2"] and method == "GET":
            return self._whoami(token)
        if parts == ["validate-yaml"] and method == "POST":
            return _json_reply({"errors": [], "warnings": []})
        if parts == ["repos", "create"] and method == "POST":
            return self._create_repo(_json(body), token)
        if parts == ["repos", "delete"] and method == "DELETE":
            return self._delete_repo(_json(body), token)
        if len(parts) < 3 or parts[0] not in _TYPES:
            raise HubError(404, f"no route {method} /api/{'/'.join(parts)}")
        repo_type, repo_id = _TYPES[parts[0]], "/".join(parts[1:3])
        action, args = (parts[3], parts[4:]) if len(parts) > 3 else ("", [])
        write = method in _WRITES and action != "paths-info"
        repo = (
            self._writable_repo(repo_type, repo_id, token)
            if write
            else self._readable_repo(repo_type, repo_id, token)
        )
        rev = args[0] if args else "main"
        path = "/".join(args[1:]).strip("/")
        routes = {
            ("GET", ""): lambda: self._repo_info(repo, "main", query),
            ("GET", "revision"): lambda: self._repo_info(repo, rev, query),
            ("GET", "refs"): lambda: self._refs(repo, query),
            ("GET", "tree"): lambda: self._tree(repo, rev, path, query),
            ("GET", "commits"): lambda: self._commit_list(repo, rev),
            ("POST", "paths-info"): lambda: self._paths_info(repo, rev, body),
            ("POST", "preupload"): lambda: self._preupload(repo, rev, body),
            ("POST", "commit"): lambda: self._commit(repo, rev, query, body),
            ("POST", "tag"): lambda: self._create_tag(repo, rev, body),
            ("DELETE", "tag"): lambda: self._delete_tag(repo, rev),
        }
        handler = routes.get((method, action))
        if handler is None:
            raise HubError(404, f"no route {method} /api/{'/'.join(parts)}")
        return handler()

    # ------------------------------------------------------------------ auth and lookups

    def _token(self, headers: dict[str, str]) -> str | None:
        """The bearer token sent, if any; a token that is not accepted is refused outright."""
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
        if token and self.tokens is not None and token not in self.tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        return token or None

    def _authorized(self, token: str | None) -> bool:
        return self.tokens is None or token in self.tokens

    def _get_repo(self, repo_type: str, repo_id: str) -> _Repo:
        repo = self._repos.get((repo_type, repo_id))
        if repo is None:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _readable_repo(self, repo_type: str, repo_id: str, token: str | None) -> _Repo:
        repo = self._get_repo(repo_type, repo_id)
        if repo.private and not self._authorized(token):
            raise HubError(401, "Repository not found", "RepoNotFound")
        return repo

    def _writable_repo(self, repo_type: str, repo_id: str, token: str | None) -> _Repo:
        self._require_write(token)
        return self._get_repo(repo_type, repo_id)

    def _require_write(self, token: str | None) -> None:
        if not self._authorized(token):
            raise HubError(401, "Invalid username or password.")

    def _new_sha(self, *parts: str) -> str:
        self._counter += 1
        return hashlib.sha1(
            "\0".join([*parts, self._nonce, str(self._counter)]).encode()
        ).hexdigest()

    # ------------------------------------------------------------------ repos

    def _create_repo(self, payload: dict[str, Any], token: str | None) -> _Reply:
        self._require_write(token)
        name, organization = payload.get("name"), payload.get("organization")
        if not name or not organization:
            raise HubError(400, "the stand-in needs repo ids of the form org/name")
        repo_type = payload.get("type") or "model"
        if repo_type not in _URL_PREFIXES:
            raise HubError(400, f"unknown repo type {repo_type!r}")
        repo_id = f"{organization}/{name}"
        if (repo_type, repo_id) in self._repos:
            url = self._repo_url(repo_type, repo_id)  # `create_repo(exist_ok=True)` reads it
            raise HubError(409, "You already created this repo", body={"url": url})
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        now = _now()
        repo = _Repo(type=repo_type, id=repo_id, private=private, created=now)
        sha = self._new_sha(repo_type, repo_id, "initial commit")
        files = {".gitattributes": _Blob(GITATTRIBUTES, lfs=False)}
        repo.commits[sha] = _Commit(sha, None, "initial commit", "", now, files)
        repo.branches["main"] = sha
        self._repos[(repo_type, repo_id)] = repo
        return _json_reply({"url": self._repo_url(repo_type, repo_id), "name": repo_id, "id": sha})

    def _delete_repo(self, payload: dict[str, Any], token: str | None) -> _Reply:
        self._require_write(token)
        repo_id = f"{payload.get('organization')}/{payload.get('name')}"
        repo = self._get_repo(payload.get("type") or "model", repo_id)
        del self._repos[(repo.type, repo.id)]
        return _json_reply({})

    def _whoami(self, token: str | None) -> _Reply:
        if token is None:
            raise HubError(401, "Invalid username or password.")
        access = {"displayName": "stand-in", "role": "write"}
        return _json_reply(
            {
                "type": "user",
                "name": WHOAMI_NAME,
                "fullname": "Stand-in User",
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": access},
            }
        )

    def _repo_url(self, repo_type: str, repo_id: str) -> str:
        return f"{self.url}/{_URL_PREFIXES[repo_type]}{repo_id}"

    def _repo_info(self, repo: _Repo, rev: str, query: dict[str, list[str]]) -> _Reply:
        commit = repo.commits[_resolve(repo, rev)]
        with_blobs = _flag(query, "blobs")
        siblings = []
        for path, blob in sorted(commit.files.items()):
            sibling: dict[str, Any] = {"rfilename": path}
            if with_blobs:
                sibling.update(size=len(blob.content), blobId=blob.git_oid)
                if blob.lfs:
                    sibling["lfs"] = {
                        "size": len(blob.content),
                        "sha256": blob.sha256,
                        "pointerSize": len(blob.pointer),
                    }
            siblings.append(sibling)
        info: dict[str, Any] = {
            "_id": hashlib.sha1(f"{repo.type}/{repo.id}".encode()).hexdigest()[:24],
            "id": repo.id,
            "author": repo.id.split("/")[0],
            "sha": commit.sha,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "createdAt": repo.created,
            "lastModified": commit.date,
            "tags": [],
            "downloads": 0,
            "likes": 0,
            "siblings": siblings,
            "usedStorage": sum(len(blob.content) for blob in commit.files.values()),
        }
        card = _card_data(commit.files.get("README.md"))
        if card is not None:
            info["cardData"] = card
        return _json_reply(info)

    def _refs(self, repo: _Repo, query: dict[str, list[str]]) -> _Reply:
        def ref(kind: str, name: str, sha: str) -> dict[str, str]:
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": sha}

        refs: dict[str, Any] = {
            "branches": [ref("heads", name, sha) for name, sha in repo.branches.items()],
            "tags": [ref("tags", name, sha) for name, sha in repo.tags.items()],
            "converts": [],
        }
        if _flag(query, "include_prs"):
            refs["pullRequests"] = []
        return _json_reply(refs)

    def _commit_list(self, repo: _Repo, rev: str) -> _Reply:
        return _json_reply(
            [
                {
                    "id": commit.sha,
                    "title": commit.summary,
                    "message": commit.description,
                    "authors": [{"user": "stand-in"}],
                    "date": commit.date,
                }
                for commit in repo.history(_resolve(repo, rev))
            ]
        )

    # ------------------------------------------------------------------ listings

    def _tree(self, repo: _Repo, rev: str, path: str, query: dict[str, list[str]]) -> _Reply:
        commit = repo.commits[_resolve(repo, rev)]
        entries = _entries(commit.files)
        if path and (path not in entries or entries[path]["type"] != "directory"):
            raise HubError(404, f"{path} does not exist on {rev}", "EntryNotFound")
        prefix = f"{path}/" if path else ""
        depth = prefix.count("/")
        listed = [
            entry
            for name, entry in sorted(entries.items())
            if name.startswith(prefix) and (_flag(query, "recursive") or name.count("/") == depth)
        ]
        return _json_reply(listed)

    def _paths_info(self, repo: _Repo, rev: str, body: bytes) -> _Reply:
        commit = repo.commits[_resolve(repo, rev)]
        try:
            paths = _json(body).get("paths", [])
        except HubError:  # the client posts a form: paths=a&paths=b&expand=False
            paths = parse_qs(body.decode()).get("paths", [])
        entries = _entries(commit.files)
        return _json_reply([entries[p.strip("/")] for p in paths if p.strip("/") in entries])

    # ------------------------------------------------------------------ uploads

    def _preupload(self, repo: _Repo, rev: str, body: bytes) -> _Reply:
        head = _try_resolve(repo, rev)
        current = repo.commits[head].files if head else {}
        answers = []
        for item in _json(body).get("files", []):
            path, size = item["path"], int(item.get("size", 0))
            lfs = path.lower().endswith(LFS_SUFFIXES) or size > LFS_MIN_SIZE
            answer: dict[str, Any] = {
                "path": path,
                "uploadMode": "lfs" if lfs else "regular",
                "shouldIgnore": False,
            }
            if path in current:  # lets the client skip unchanged files, as the Hub does
                blob = current[path]
                answer["oid"] = blob.sha256 if blob.lfs else blob.git_oid
            answers.append(answer)
        return _json_reply({"files": answers, "commitOid": head})

    def _lfs_batch(self, repo_type: str, repo_id: str, token: str | None, body: bytes) -> _Reply:
        self._writable_repo(repo_type, repo_id, token)
        payload = _json(body)
        operation = payload.get("operation", "upload")
        objects = []
        for item in payload.get("objects", []):
            oid, size = item["oid"], int(item["size"])
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            href = f"{self.url}/_lfs/{oid}"
            if operation == "download":
                if oid in self._lfs:
                    entry["actions"] = {"download": {"href": href}}
                else:
                    entry["error"] = {"code": 404, "message": "Object does not exist"}
            elif oid not in self._lfs:  # no `actions`: the client knows the object is there
                entry["actions"] = {"upload": {"href": href}}
            objects.append(entry)
        return _json_reply(
            {"transfer": "basic", "objects": objects},
            headers={"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _lfs_object(self, method: str, oid: str, body: bytes) -> _Reply:
        if method == "PUT":
            actual = hashlib.sha256(body).hexdigest()
            if actual != oid:
                raise HubError(400, f"content has sha256 {actual}, not {oid}")
            self._lfs[oid] = body
            return _Reply(200)
        if method == "GET" and oid in self._lfs:
            return _Reply(200, self._lfs[oid], {"Content-Type": "application/octet-stream"})
        raise HubError(404, f"no LFS object {oid}")

    def _commit(self, repo: _Repo, rev: str, query: dict[str, list[str]], body: bytes) -> _Reply:
        if _flag(query, "create_pr"):
            raise HubError(400, "the stand-in does not serve pull requests (create_pr)")
        branch = rev[len("refs/heads/") :] if rev.startswith("refs/heads/") else rev
        if branch not in repo.branches:
            _resolve(repo, rev)  # 404 RevisionNotFound for unknown revisions
            raise HubError(400, f"can only commit to a branch, not {rev!r}")
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "the commit payload must start with a header line")
        header = lines[0]["value"]
        head = repo.branches[branch]
        parent = header.get("parentCommit")
        if parent and parent != head:
            raise HubError(
                412, f"A commit has happened since {parent}. Please refresh and try again."
            )
        files = dict(repo.commits[head].files)
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value", {})
            path = value.get("path", "")
            if key == "file":
                files[path] = _Blob(base64.b64decode(value.get("content", "")), lfs=False)
            elif key == "lfsFile":
                oid = value.get("oid")
                if oid not in self._lfs:
                    raise HubError(422, f"LFS object {oid} of {path} was never uploaded")
                if "size" in value and int(value["size"]) != len(self._lfs[oid]):
                    raise HubError(422, f"LFS object {oid} of {path} has another size")
                files[path] = _Blob(self._lfs[oid], lfs=True)
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise HubError(
                        404, f"A file with this name doesn't exist: {path}", "EntryNotFound"
                    )
            elif key == "deletedFolder":
                folder = path.rstrip("/") + "/"
                gone = [name for name in files if name.startswith(folder)]
                if not gone:
                    raise HubError(
                        404, f"A folder with this name doesn't exist: {path}", "EntryNotFound"
                    )
                for name in gone:
                    del files[name]
            else:
                raise HubError(400, f"unknown commit operation {key!r}")
        summary = header.get("summary") or ""
        sha = self._new_sha(repo.type, repo.id, head, summary)
        repo.commits[sha] = _Commit(
            sha, head, summary, header.get("description") or "", _now(), files
        )
        repo.branches[branch] = sha
        return _json_reply(
            {
                "success": True,
                "commitOid": sha,
                "commitUrl": f"{self._repo_url(repo.type, repo.id)}/commit/{sha}",
                "pullRequestUrl": None,
            }
        )

    def _create_tag(self, repo: _Repo, rev: str, body: bytes) -> _Reply:
        tag = _json(body).get("tag")
        if not tag:
            raise HubError(400, "a tag name is required")
        sha = _resolve(repo, rev)
        if tag in repo.tags:
            raise HubError(409, f"Tag {tag} already exists")
        repo.tags[tag] = sha
        return _json_reply({})

    def _delete_tag(self, repo: _Repo, tag: str) -> _Reply:
        tag = tag[len("refs/tags/") :] if tag.startswith("refs/tags/") else tag
        if repo.tags.pop(tag, None) is None:
            raise HubError(404, f"Invalid rev id: {tag}", "RevisionNotFound")
        return _json_reply({})

    # ------------------------------------------------------------------ downloads

    def _resolve_file(
        self, repo: _Repo, rev: str, path: str, method: str, headers: dict[str, str]
    ) -> _Reply:
        sha = _resolve(repo, rev)
        blob = repo.commits[sha].files.get(path)
        if blob is None:
            raise HubError(404, "Entry not found", "EntryNotFound", {"X-Repo-Commit": sha})
        reply_headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{blob.sha256 if blob.lfs else blob.git_oid}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if blob.lfs:
            reply_headers["X-Linked-Etag"] = f'"{blob.sha256}"'
            reply_headers["X-Linked-Size"] = str(len(blob.content))
        content = blob.content
        wanted = headers.get("range", "")
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted)
        if match and method == "GET":
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(content) - 1
            if start >= len(content):
                return _Reply(
                    416, b"", {**reply_headers, "Content-Range": f"bytes */{len(content)}"}
                )
            reply_headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            return _Reply(206, content[start : end + 1], reply_headers)
        return _Reply(200, content, reply_headers)


# ---------------------------------------------------------------------- configuring clients


def use_hub(hub: HubServer, monkeypatch: Any, cache_dir: str | Path) -> None:
    """Point `huggingface_hub` and `datasets` at `hub` for one test; nothing else is reached.

    Both libraries read their settings once, at import, so environment variables set in a
    test come too late. This patches the module-level values they were read into:

    - the endpoint: `huggingface_hub.constants.ENDPOINT`, `datasets.config.HF_ENDPOINT`
      and its URL template;
    - offline mode off (the suite's conftest sets `HF_HUB_OFFLINE=1` for every test);
    - Xet off (uploads would switch to a protocol the stand-in cannot serve);
    - telemetry, download counting and the dataset viewer's parquet export off (they
      would call huggingface.co, s3 and `datasets-server.<endpoint host>`);
    - every cache (`HF_HOME`, `HF_HUB_CACHE`, the datasets cache) and the token file
      under `cache_dir`, `HF_TOKEN` unset;
    - an empty agent-harness registry (otherwise fetched once per process from
      `constants.ENDPOINT` and cached under `HF_HOME`).

    The environment variables are set too, for subprocesses started by the test.
    """
    import datasets.config
    import huggingface_hub.constants as constants
    import huggingface_hub.file_download as file_download
    from huggingface_hub import HfFileSystem

    try:
        from huggingface_hub.utils import _detect_agent
    except ImportError:  # older huggingface_hub: no agent-harness registry to empty
        _detect_agent = None

    home = Path(cache_dir) / "hf_home"
    hub_cache = home / "hub"
    datasets_cache = Path(cache_dir) / "hf_datasets"
    env = {
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(hub_cache),
        "HF_DATASETS_CACHE": str(datasets_cache),
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_UPDATE_DOWNLOAD_COUNTS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    url_template = hub.url + "/{repo_id}/resolve/{revision}/{filename}"
    patches = {
        constants: {
            "ENDPOINT": hub.url,
            "HUGGINGFACE_CO_URL_TEMPLATE": url_template,
            "HF_HOME": str(home),
            "HF_HUB_CACHE": str(hub_cache),
            "HUGGINGFACE_HUB_CACHE": str(hub_cache),
            "HF_ASSETS_CACHE": str(home / "assets"),
            "HF_XET_CACHE": str(home / "xet"),
            "HF_TOKEN_PATH": str(home / "token"),
            "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
            "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
            "HF_HUB_OFFLINE": False,
            "HF_HUB_DISABLE_XET": True,
            "HF_HUB_DISABLE_TELEMETRY": True,
        },
        datasets.config: {
            "HF_ENDPOINT": hub.url,
            "HUB_DATASETS_URL": hub.url + "/datasets/{repo_id}/resolve/{revision}/{path}",
            "HF_HUB_OFFLINE": False,
            "HF_DATASETS_OFFLINE": False,
            "HF_UPDATE_DOWNLOAD_COUNTS": False,
            "USE_PARQUET_EXPORT": False,  # else it asks datasets-server.<endpoint host>
            "HF_DATASETS_CACHE": datasets_cache,
            "DOWNLOADED_DATASETS_PATH": datasets_cache / "downloads",
            "EXTRACTED_DATASETS_PATH": datasets_cache / "downloads" / "extracted",
            "HF_MODULES_CACHE": home / "modules",
            "HF_CACHE_HOME": str(home),
        },
        # huggingface_hub before 1.0 builds download URLs from its own copy of the template
        file_download: {"HUGGINGFACE_CO_URL_TEMPLATE": url_template},
    }
    if _detect_agent is not None:
        patches[_detect_agent] = {"_registry": dict(HARNESSES)}
    for module, values in patches.items():
        for name, value in values.items():
            if hasattr(module, name):
                monkeypatch.setattr(module, name, value)
    # fsspec keeps one HfFileSystem per endpoint, with its listings: a later server on the
    # same port must not see them.
    HfFileSystem.clear_instance_cache()


def patch_backoff_sleep(monkeypatch: Any) -> list[float]:
    """Make `huggingface_hub`'s retry loop record its waits instead of sleeping.

    Its backoff sleeps 1 s, 2 s, … between tries, or `Retry-After` + 1 s (whole seconds
    only), far too long for a test. Returns the list the waits are appended to.
    """
    from huggingface_hub.utils import _http

    waits: list[float] = []
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(sleep=waits.append))
    return waits


# ---------------------------------------------------------------------- helpers


def _resolve(repo: _Repo, rev: str) -> str:
    sha = _try_resolve(repo, rev)
    if sha is None:
        raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
    return sha


def _try_resolve(repo: _Repo, rev: str) -> str | None:
    if rev.startswith("refs/heads/"):
        return repo.branches.get(rev[len("refs/heads/") :])
    if rev.startswith("refs/tags/"):
        return repo.tags.get(rev[len("refs/tags/") :])
    if rev in repo.branches:
        return repo.branches[rev]
    if rev in repo.tags:
        return repo.tags[rev]
    if _SHA.fullmatch(rev) and rev in repo.commits:
        return rev
    return None


def _entries(files: dict[str, _Blob]) -> dict[str, dict[str, Any]]:
    """Path -> tree entry for every file and every directory of a snapshot."""
    entries = {path: blob.entry(path) for path, blob in files.items()}
    folders: dict[str, list[str]] = {}
    for path, blob in files.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), []).append(f"{path}:{blob.git_oid}")
    for folder, content in folders.items():
        oid = hashlib.sha1("\n".join([folder, *sorted(content)]).encode()).hexdigest()
        entries[folder] = {"type": "directory", "oid": oid, "size": 0, "path": folder}
    return entries


def _card_data(readme: _Blob | None) -> dict[str, Any] | None:
    """The YAML header of a README.md, as the Hub returns it in `cardData`."""
    if readme is None:
        return None
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", readme.content.decode(errors="replace"), re.S)
    if match is None:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[-1].lower() in ("1", "true", "yes")


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as error:
        raise HubError(400, f"the body is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise HubError(400, "the body is not a JSON object")
    return data


def _json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _QuietServer(ThreadingHTTPServer):
    """Also closes its keep-alive connections on exit: the client pools them per host and
    port, and a later server may get the same port."""

    daemon_threads = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def close_connections(self) -> None:
        with self._open_lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients may hang up mid-reply


def _make_handler(server: HubServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each reply waits ~40 ms on delayed ACKs

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline().strip():  # trailers
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()  # the CRLF after each chunk
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = server._answer(self.command, parts.path, parts.query, headers, self._body())
            self.send_response(reply.status)
            for name, value in {"Content-Length": str(len(reply.body)), **reply.headers}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return _Handler
