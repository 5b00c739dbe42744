import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { reservePort } from './net.ts';

const listen = (server: Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

describe('reservePort', () => {
  it('holds the port until released: nothing else can listen on it meanwhile, and the holder can right after', async () => {
    const reservation = await reservePort();
    const other = createServer();
    await assert.rejects(listen(other, reservation.port), { code: 'EADDRINUSE' });
    // Released and taken in the same tick, as the system does before listening.
    void reservation.release();
    const server = createServer();
    await listen(server, reservation.port);
    await new Promise((resolve) => server.close(resolve));
    await reservation.release();
  });
});
