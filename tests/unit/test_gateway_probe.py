"""The gateway probe: does the gateway answer and accept the key, without generating anything."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.gateway import GatewayClient
from bot.gateway.probe import ProbeOutcome, ProbeResult
from tests.fakes.gateway import API_KEY, FakeGateway
from tests.fakes.server import serve


def client(http: aiohttp.ClientSession, base_url: str, key: str = API_KEY) -> GatewayClient:
    return GatewayClient(http, base_url=base_url, api_key=key)


async def test_the_local_gateway_refuses_the_probe_as_invalid_and_generates_nothing(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession
) -> None:
    result = await client(http, fake_gateway.base_url).probe()
    assert (result.outcome, result.status, result.key_accepted) == (ProbeOutcome.KEY_ACCEPTED, 400, True)
    assert result.latency >= 0 and "n must be sent as an integer" in result.detail
    assert fake_gateway.requests == [] and len(fake_gateway.rejected) == 1  # refused before any generation


async def test_a_wrong_key_is_told_apart(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    result = await client(http, fake_gateway.base_url, key="wrong-key").probe()
    assert (result.outcome, result.status, result.key_accepted) == (ProbeOutcome.KEY_REFUSED, 401, False)
    assert fake_gateway.requests == [] and fake_gateway.rejected == []


async def test_a_closed_port_is_unreachable(http: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await client(http, f"http://127.0.0.1:{port}").probe()
    assert (result.outcome, result.status, result.detail) == (ProbeOutcome.UNREACHABLE, None, "connection refused")


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[list[web.StreamResponse], str]]:
    """A server that answers the probe with whatever the test queued."""
    answers: list[web.StreamResponse] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        answer = answers.pop(0)
        if isinstance(answer, web.Response) and answer.status == 599:  # our marker for "never answer"
            await asyncio.sleep(3600)
        return answer

    app = web.Application()
    app.router.add_post("/v1/images/generations", handler)
    async with serve(app) as base_url:
        yield answers, base_url


def _error(status: int, message: str, code: str | None = None) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "x", "code": code}}, status=status)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (_error(422, "unprocessable"), ProbeOutcome.KEY_ACCEPTED),
        (_error(403, "account blocked"), ProbeOutcome.KEY_REFUSED),
        (_error(429, "Rate limit reached", "rate_limit"), ProbeOutcome.RATE_LIMITED),
        (_error(429, "quota", "insufficient_user_quota"), ProbeOutcome.QUOTA_EXHAUSTED),
        (_error(503, "no channel available", "get_channel_failed"), ProbeOutcome.SERVER_ERROR),
        (web.Response(status=502, text="<html>Bad Gateway</html>"), ProbeOutcome.SERVER_ERROR),
        (web.json_response({"data": []}), ProbeOutcome.UNEXPECTED),
    ],
)
async def test_answers_are_read(
    scripted: tuple[list[web.StreamResponse], str],
    http: aiohttp.ClientSession,
    answer: web.Response,
    outcome: ProbeOutcome,
) -> None:
    answers, base_url = scripted
    answers.append(answer)
    result = await client(http, base_url).probe()
    assert (result.outcome, result.status) == (outcome, answer.status)
    assert result.key_accepted is (outcome in (ProbeOutcome.KEY_ACCEPTED, ProbeOutcome.RATE_LIMITED))


async def test_a_gateway_that_never_answers_times_out(
    scripted: tuple[list[web.StreamResponse], str], http: aiohttp.ClientSession
) -> None:
    answers, base_url = scripted
    answers.append(web.Response(status=599))
    result = await client(http, base_url).probe(timeout=0.2)
    assert (result.outcome, result.status, result.detail) == (ProbeOutcome.TIMEOUT, None, "no answer within 0.2s")


def test_the_gateways_own_words_are_kept_short() -> None:
    body = json.dumps({"error": {"message": "x" * 1000, "code": "invalid_parameter"}})
    result = ProbeResult.from_answer(400, body, 0.01)
    assert result.outcome is ProbeOutcome.KEY_ACCEPTED and len(result.detail) == 200
    assert ProbeResult.from_answer(404, "404 page not found\n", 0.01).detail == "404 page not found"


async def test_a_key_the_gateway_quotes_back_is_not_kept(http: aiohttp.ClientSession) -> None:
    async def quoting(request: web.Request) -> web.Response:
        message = f"Invalid token {request.headers['Authorization']}"
        return web.json_response({"error": {"message": message, "code": "invalid_api_key"}}, status=401)

    app = web.Application()
    app.router.add_post("/v1/images/generations", quoting)
    async with serve(app) as base_url:
        result = await client(http, base_url, key="sk-quoted-back-1234").probe()
    assert (result.outcome, result.detail) == (ProbeOutcome.KEY_REFUSED, "Invalid token Bearer ***")
