"""The Bot API's HTTP client: python-telegram-bot's `BaseRequest` on aiohttp.

PTB ships `HTTPXRequest`. Profiling `deskbot run` at its ceiling (`make bench
BENCH_ARGS=ceiling`, py-spy) put a quarter of the bot's CPU in httpx/httpcore for the one
`sendMessage` a check-in costs; measured alone on this machine (100 requests in flight, a local
server) PTB's `HTTPXRequest.post` took 2.3 ms of CPU per request against 0.25 ms for aiohttp.
aiohttp is the well-kept library here; this is the adapter PTB's interface asks for
(`BaseRequest.do_request`, see PTB's "Architecture" wiki and ptbcontrib's `aiohttp_request`,
which this follows but which is not published on PyPI), in the same shape as `HTTPXRequest`:
form fields urlencoded, files as multipart, and the failures PTB expects (`TimedOut`,
`NetworkError`) with aiohttp's error as their cause, which `outbox.judge` reads to tell a
request that never left from one that may have arrived.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
import urllib.request
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

log = logging.getLogger(__name__)

_FORM = "application/x-www-form-urlencoded"
_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_CREDENTIALS = re.compile(r"//[^/@\s]+@")
# aiohttp speaks HTTP to a proxy (plain, or TLS to an https:// one); SOCKS it does not.
_PROXY_SCHEMES = ("http", "https")

Proxy = tuple[URL, dict[str, str] | None]  # the proxy's URL, its Proxy-Authorization header


def _redacted(err: BaseException) -> str:
    """aiohttp's message without a bot token (some carry the request's URL) or the
    user:password of a URL (a proxy's)."""
    text = _TOKEN.sub("bot<token>", f"aiohttp.{type(err).__name__}: {err}")
    return _CREDENTIALS.sub("//<credentials>@", text)


def proxy_from(value: str, variable: str) -> Proxy | None:
    """An environment proxy setting as aiohttp takes it: the URL without its user:password,
    and those as a Basic Proxy-Authorization header (so no error aiohttp raises carries
    them). A value without a scheme is an http:// proxy, as httpx reads it; a scheme aiohttp
    cannot speak (socks5://) is ignored with a warning naming the variable (never its value).
    """
    url = URL(value if "://" in value else f"http://{value}")
    if url.scheme not in _PROXY_SCHEMES or not url.host:
        log.warning(
            "%s names a %s proxy, which the bot cannot use; connecting directly",
            variable,
            url.scheme or "malformed",
        )
        return None
    headers = None
    if url.user is not None:
        headers = {"Proxy-Authorization": aiohttp.encode_basic_auth(url.user, url.password or "")}
    return url.with_user(None), headers


class AiohttpRequest(BaseRequest):
    """PTB's `BaseRequest` on one `aiohttp.ClientSession`.

    Timeouts in seconds, as `HTTPXRequest` takes them: `connect_timeout` to open a connection,
    `read_timeout` for Telegram's answer (each call may pass its own, e.g. `getUpdates`' long
    poll), `pool_timeout` to wait for a free connection (with connecting), `write_timeout`
    (`media_write_timeout` when files go up) added to the read time for the whole upload.
    `connection_pool_size`: connections kept open to the Bot API at most.
    """

    __slots__ = (
        "_defaults",
        "_env_proxies",
        "_media_write_timeout",
        "_pool_size",
        "_proxy_of",
        "_session",
    )

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._defaults = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._env_proxies: dict[str, str] = {}
        self._proxy_of: dict[tuple[str, str], Proxy | None] = {}

    @property
    def read_timeout(self) -> float:
        """The default seconds to wait for Telegram's answer (`BaseRequest.read_timeout`)."""
        return self._defaults["read"]

    async def initialize(self) -> None:
        """Open the session (again, after `shutdown`)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
            )
        # HTTP(S)_PROXY / ALL_PROXY / NO_PROXY from the environment, read once as PTB's httpx
        # client reads them when it is made: a desk behind a proxy keeps working. Not aiohttp's
        # `trust_env`, which reads the environment and ~/.netrc again on a worker thread for
        # every request (3-4 % of the bot's CPU at its ceiling with the hops back, py-spy).
        self._env_proxies = urllib.request.getproxies_environment()
        self._proxy_of = {}

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy(self, url: str) -> Proxy | None:
        """The proxy the environment names for `url`'s scheme and host (HTTPS_PROXY,
        HTTP_PROXY, then ALL_PROXY; none for a NO_PROXY host), or None (direct)."""
        parts = urllib.parse.urlsplit(url)
        where = (parts.scheme, parts.netloc)
        if where not in self._proxy_of:
            env = self._env_proxies
            bypass = bool(env) and bool(urllib.request.proxy_bypass(parts.netloc))
            name = parts.scheme if parts.scheme in env else "all"
            value = None if bypass else env.get(name)
            self._proxy_of[where] = None if value is None else proxy_from(value, f"{name}_proxy")
        return self._proxy_of[where]

    def _timeout(self, given: Any, name: str) -> float | None:
        return self._defaults[name] if given is BaseRequest.DEFAULT_NONE else given

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP call: (status code, body). Raises `TimedOut` (no answer in time, or no
        connection free) and `NetworkError` (anything else on the way), aiohttp's error as the
        cause; a RuntimeError before `initialize`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: Any = None
        has_files = bool(request_data and request_data.multipart_data)
        if request_data is not None:
            fields = request_data.json_parameters
            if has_files:
                form = aiohttp.FormData(fields)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            elif fields:
                # urlencoded, as HTTPXRequest sends them (encoded here: aiohttp's FormData
                # costs 2 % of the bot's CPU at its ceiling for the same bytes)
                data = aiohttp.payload.BytesPayload(
                    urllib.parse.urlencode(fields).encode(), content_type=_FORM
                )
        read = self._timeout(read_timeout, "read")
        write: float | None
        if write_timeout is BaseRequest.DEFAULT_NONE and has_files:
            write = self._media_write_timeout  # as HTTPXRequest: uploads get the media time
        else:
            write = self._timeout(write_timeout, "write")
        connect = self._timeout(connect_timeout, "connect")
        pool = self._timeout(pool_timeout, "pool")
        waited = None if pool is None or connect is None else pool + connect
        # aiohttp has no write timeout (its read timer starts once the body is written): the
        # whole call is held to waiting + writing + reading, so a stalled upload ends. `total`
        # outlasts `connect`, so a call cut by it had left (judged uncertain, never resent).
        parts = (waited, write, read)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=waited,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            proxy, proxy_headers = self._proxy(url) or (None, None)
            # aiohttp sends `proxy_headers` with the CONNECT of an https:// request; a plain
            # http:// one goes to the proxy as it is, so its Proxy-Authorization rides along.
            plain = proxy_headers if url.startswith("http:") else None
            async with self._session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                proxy=proxy,
                proxy_headers=proxy_headers,
                headers=plain,
            ) as res:
                return res.status, await res.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut(_redacted(err)) from err
        except (aiohttp.ClientError, OSError) as err:
            raise NetworkError(_redacted(err)) from err
