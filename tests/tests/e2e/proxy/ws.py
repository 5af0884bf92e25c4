"""WebSocket peers for the proxy tests (Debian's python3-websockets).

serve          echo server on 127.0.0.1:0; prints "port N" once listening.
               A text message "headers" is answered with the handshake's
               Host, Via and X-Forwarded-For as JSON; anything else is echoed.
client URL     connects to URL, checks a text echo, a 100 KiB binary echo
               and the headers the server saw; prints one line per step.
"""
import asyncio
import json
import sys

import websockets

BINARY = bytes(range(256)) * 400


async def echo(ws, *_path):
    async for message in ws:
        if message == "headers":
            seen = {k: ws.request_headers.get(k) for k in ("host", "via", "x-forwarded-for")}
            await ws.send(json.dumps(seen, sort_keys=True))
        else:
            await ws.send(message)


async def serve():
    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.Future()


async def client(url):
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send("hello")
        print("text", await ws.recv(), flush=True)
        await ws.send(BINARY)
        back = await ws.recv()
        print("binary", len(back), back == BINARY, flush=True)
        await ws.send("headers")
        print("headers", await ws.recv(), flush=True)
    print("closed", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        asyncio.run(serve())
    else:
        asyncio.run(asyncio.wait_for(client(sys.argv[2]), 20))
