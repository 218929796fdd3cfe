"""`vivier serve --workers N` listens on a socket of its own: with uvicorn's, keep-alive requests waited ~40 ms."""

from __future__ import annotations

import asyncio
import socket

import pytest
import typer

from graph.server import free_port
from vivier.commands.serve import listening_socket


def _nodelay_of_accepted_connection(sock: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on `sock`, as each uvicorn worker accepts them."""

    async def run() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                conn = transport.get_extra_info("socket")
                accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(accepted, 5)
            writer.close()
            return value

    return asyncio.run(run())


def test_worker_socket_turns_nagle_off_on_its_connections() -> None:
    sock = listening_socket("127.0.0.1", free_port())
    assert sock.proto == socket.IPPROTO_TCP
    assert sock.get_inheritable()  # the worker processes receive it
    assert _nodelay_of_accepted_connection(sock) == 1


def test_a_taken_port_is_a_clear_error() -> None:
    first = listening_socket("127.0.0.1", free_port())
    first.listen()
    with pytest.raises(typer.BadParameter, match=r"cannot listen on 127\.0\.0\.1"):
        listening_socket("127.0.0.1", first.getsockname()[1])
    first.close()
