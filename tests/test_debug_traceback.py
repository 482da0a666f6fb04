"""What `MEADOW_DEBUG=1` prints: the whole traceback, and never a secret.

A Hub (or any server) may echo the request's credentials in its error body; meadow's own
one-line messages mask them, but the traceback shows the message of every chained
exception, the library's own included. These tests run the real `meadow` command against
the Hub stand-in (tests/hub_server.py), answering a commit with a body that echoes the
token, an `Authorization: Bearer` header, another `hf_` token and an OpenAI key.
"""

from __future__ import annotations

import pytest

from meadow import build
from meadow.errors import scrub_secrets
from tests.cli import run_cli
from tests.hub_server import HUB_TOKEN, HubServer
from tests.toy_source import write_toy

OTHER_HF_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
OPENAI_KEY = "sk-proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
ECHO = (
    f"Bad request: header Authorization: Bearer {HUB_TOKEN} is not allowed to commit; "
    f"also seen {OTHER_HF_TOKEN} and {OPENAI_KEY}"
)
SECRETS = (HUB_TOKEN, OTHER_HF_TOKEN, OPENAI_KEY)


@pytest.fixture
def built(tmp_path):
    raw = write_toy(tmp_path / "toy" / "t.jsonl", range(30))
    return build(sources=["toy"], raw={"toy": raw}, name="small")


def test_debug_traceback_of_a_hub_error_masks_every_secret(
    hub: HubServer, built, capsys, monkeypatch
) -> None:
    monkeypatch.setattr("meadow.hub_client.time.sleep", lambda seconds: None)
    monkeypatch.setenv("MEADOW_DEBUG", "1")
    hub.fail("POST", "/commit/", 400, message=ECHO)
    code, out, err = run_cli(capsys, "push", "small", "--repo", "org/meadow")
    assert code == 1
    trace = err[err.index("Traceback (most recent call last):") :]  # after the upload bars
    # the Hub's error and meadow's, chained: both messages are there, masked
    assert "huggingface_hub.errors.BadRequestError: " in trace
    assert "The above exception was the direct cause of the following exception" in trace
    assert "meadow.errors.HubError: could not commit on org/meadow" in trace
    assert "Bearer *** is not allowed to commit; also seen *** and ***" in trace
    for secret in SECRETS:
        assert secret not in out + err


def test_the_one_line_error_masks_every_secret(hub: HubServer, built, capsys, monkeypatch):
    monkeypatch.setattr("meadow.hub_client.time.sleep", lambda seconds: None)
    hub.fail("POST", "/commit/", 400, message=ECHO)
    code, out, err = run_cli(capsys, "push", "small", "--repo", "org/meadow")
    assert code == 1
    assert err.splitlines()[-1].startswith("error: could not commit on org/meadow")
    assert "Traceback" not in err
    for secret in SECRETS:
        assert secret not in out + err


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"token {OTHER_HF_TOKEN}.", "token ***."),
        (f"key={OPENAI_KEY}", "key=***"),
        ("sk-" + "a1B2" * 12, "***"),
        ("Authorization: Bearer eyJhbGciOi.J9.x-y_z", "Authorization: Bearer ***"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic ***"),
        (
            "from huggingface_hub import hf_hub_download",
            "from huggingface_hub import hf_hub_download",
        ),
        ("HF_HUB_OFFLINE=1 and sk-learn", "HF_HUB_OFFLINE=1 and sk-learn"),
    ],
)
def test_token_shaped_secrets_are_masked_and_code_is_not(text: str, masked: str) -> None:
    assert scrub_secrets(text) == masked


def test_configured_secrets_are_masked_whatever_their_shape(monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "my-odd-token-123")
    monkeypatch.setenv("OPENAI_API_KEY", "local-key-xyz")
    text = "echo my-odd-token-123 and local-key-xyz and given-secret"
    assert scrub_secrets(text, ["given-secret", None]) == "echo *** and *** and ***"
