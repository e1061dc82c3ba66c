"""The provider's discovery document and key set, as ``discover`` checks them, against a
real HTTP server answering what a misbehaving provider could (``static_provider``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from portal.identity_providers import discover
from portal.identity_providers.discovery import MAX_DOCUMENT_BYTES
from portal.kernel.errors import BadInput
from tests.identity_providers.static_provider import Answer, StaticProvider, public_key

DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def running() -> Iterator[StaticProvider]:
    with StaticProvider().running() as server:
        yield server


@pytest.fixture
def provider(running: StaticProvider) -> StaticProvider:
    """The module's server, answering a well-formed provider's documents until told otherwise."""
    running.answers.clear()
    running.serve()
    return running


async def refused(provider: StaticProvider, algorithms: list[str] | None = None) -> BadInput:
    with pytest.raises(BadInput) as raised:
        await discover(provider.issuer, algorithms or ["ES256"], seconds=2)
    return raised.value


async def test_a_well_formed_provider_is_accepted(provider: StaticProvider) -> None:
    document = await discover(provider.issuer, ["ES256"], seconds=2)
    assert document == provider.discovery()


async def test_an_issuer_with_a_trailing_slash_is_looked_up_without_it(
    provider: StaticProvider,
) -> None:
    """Discovery §4: the slash is dropped before the well-known path, and the document
    must still name the issuer exactly as registered."""
    issuer = provider.issuer + "/"
    provider.serve(provider.discovery(issuer=issuer))
    assert (await discover(issuer, ["ES256"], seconds=2))["issuer"] == issuer


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            Answer(b'{"pad": "' + b"x" * MAX_DOCUMENT_BYTES + b'"}'),
            f"answered more than {MAX_DOCUMENT_BYTES} bytes",
        ),
        (Answer.json(["not", "an", "object"]), "is not a JSON object"),
        (Answer(b"<html>hello</html>"), "did not answer JSON"),
        (Answer(b"", status=500), "answered HTTP 500"),
        (
            Answer(b"", status=302, headers={"location": "/elsewhere"}),
            "answered HTTP 302",  # a redirect is not followed
        ),
    ],
    ids=["oversized", "not-an-object", "not-json", "server-error", "redirect"],
)
async def test_a_discovery_document_that_cannot_be_read_is_refused(
    provider: StaticProvider, answer: Answer, message: str
) -> None:
    provider.answers[DISCOVERY] = answer
    error = await refused(provider)
    assert error.field == "issuer"
    assert "discovery document" in error.message
    assert message in error.message


async def test_a_provider_too_slow_to_answer_is_refused(provider: StaticProvider) -> None:
    provider.answers[DISCOVERY] = Answer.json(provider.discovery(), delay=2)
    with pytest.raises(BadInput) as raised:
        await discover(provider.issuer, ["ES256"], seconds=0.2)
    assert "could not be reached (ReadTimeout)" in raised.value.message


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issuer": "https://elsewhere.example"}, "issuer", "names its issuer"),
        ({"jwks_uri": None}, "issuer", "has no jwks_uri"),
        ({"authorization_endpoint": None}, "issuer", "has no authorization_endpoint"),
        ({"token_endpoint": "http://idp.example/token"}, "issuer", "token_endpoint must use"),
        ({"jwks_uri": "ftp://127.0.0.1/jwks"}, "issuer", "jwks_uri must use https"),
        ({"response_types_supported": ["id_token"]}, "issuer", "authorization code flow"),
        (
            {"id_token_signing_alg_values_supported": None},
            "algorithms",
            "signs ID tokens with none of ES256 (it lists none)",
        ),
        (
            {"id_token_signing_alg_values_supported": ["RS256", "HS256"]},
            "algorithms",
            "signs ID tokens with none of ES256 (it lists RS256, HS256)",
        ),
    ],
    ids=[
        "other-issuer",
        "no-jwks-uri",
        "no-authorization-endpoint",
        "plain-http-token-endpoint",
        "ftp-jwks-uri",
        "no-code-flow",
        "no-algorithms-listed",
        "other-algorithms",
    ],
)
async def test_a_discovery_document_missing_a_requirement_is_refused(
    provider: StaticProvider, changes: dict[str, Any], field: str, message: str
) -> None:
    provider.serve(provider.discovery(**changes))
    error = await refused(provider)
    assert (error.field, message in error.message) == (field, True), error.message


def _rsa() -> dict[str, Any]:
    return dict(RSAKey.generate_key(2048, private=False).as_dict(private=False))


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([_rsa()], "no signing key for ES256"),
        ([public_key(use="enc")], "no signing key for ES256"),
        ([public_key(alg="ES384")], "no signing key for ES256"),
        ([public_key("P-384")], "no signing key for ES256"),
        ([{"kty": "EC", "crv": "P-256", "x": "broken"}], "no signing key for ES256"),
        (
            [dict(ECKey.generate_key("P-256", private=True).as_dict(private=True))],
            "publishes a private key",
        ),
        ([{"kty": "oct", "k": "c2hhcmVk"}], "publishes a private key"),
    ],
    ids=["rsa-only", "encryption-key", "other-alg", "other-curve", "malformed", "private", "oct"],
)
async def test_a_key_set_without_a_usable_public_key_is_refused(
    provider: StaticProvider, keys: list[dict[str, Any]], message: str
) -> None:
    provider.serve(keys=keys)
    error = await refused(provider)
    assert message in error.message


async def test_a_key_set_that_is_not_one_is_refused(provider: StaticProvider) -> None:
    provider.answers["/jwks"] = Answer.json({"keys": "none"})
    assert "no list of keys" in (await refused(provider)).message
    provider.answers["/jwks"] = Answer.json([])
    assert "is not a JSON object" in (await refused(provider)).message


async def test_one_usable_key_among_others_is_enough(provider: StaticProvider) -> None:
    provider.serve(
        provider.discovery(id_token_signing_alg_values_supported=["RS256", "ES256"]),
        keys=[{"kty": "EC", "x": "broken"}, public_key(use="enc"), _rsa()],
    )
    assert await discover(provider.issuer, ["RS256"], seconds=2)
    assert "no signing key for ES256" in (await refused(provider, ["ES256"])).message
