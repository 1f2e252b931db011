import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { streamDigest } from '../../../src/core/util/streamDigest';

describe('streamDigest', () => {
  it('passes every chunk on unchanged and reports the SHA-256 and size of them all', async () => {
    const chunks = [Buffer.from('hello '), Buffer.from('world')];
    const received: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        done();
      },
    });
    const hashing = streamDigest();
    await pipeline(Readable.from(chunks), hashing.through, sink);
    assert.equal(Buffer.concat(received).toString(), 'hello world');
    assert.deepEqual(hashing.digest(), {
      size: 11,
      sha256: createHash('sha256').update('hello world').digest('hex'),
    });
    assert.deepEqual(hashing.digest(), hashing.digest());
  });

  it('reports the digest of no bytes for an empty stream', async () => {
    const hashing = streamDigest();
    await pipeline(Readable.from([]), hashing.through, new Writable({ write: (_c, _e, done) => done() }));
    assert.deepEqual(hashing.digest(), { size: 0, sha256: createHash('sha256').digest('hex') });
  });
});
