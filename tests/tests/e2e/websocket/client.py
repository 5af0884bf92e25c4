"""A real WebSocket client (Debian's python3-websockets) for the Scale0 end-to-end tests.

Usage: client.py URL [--all]
Sends a text message and a fragmented one, printing each answer on its own line; with --all also
a binary message (its answer printed as hex) and a ping (prints "pong" once answered). Then
closes and prints the close code of the server's close frame.
"""

import asyncio
import sys

import websockets


async def main(url, everything):
    async with websockets.connect(url, ping_interval=None, open_timeout=2) as ws:
        await ws.send("Hello")
        print(await ws.recv(), flush=True)
        await ws.send(["frag-one ", "frag-two"])
        print(await ws.recv(), flush=True)
        if everything:
            await ws.send(b"\x00\x01\x02\xff")
            print((await ws.recv()).hex(), flush=True)
            await asyncio.wait_for(await ws.ping(b"png"), 5)
            print("pong", flush=True)
        await ws.close()
        print("closed", ws.close_code, flush=True)


asyncio.run(main(sys.argv[1], "--all" in sys.argv[2:]))
