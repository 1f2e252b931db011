/**
 * Hashing bytes on their way somewhere: a pass-through stage for `stream.pipeline` that computes the
 * SHA-256 and size of what flows through it, so a file written from a stream need not be read again to
 * be described.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** The SHA-256 (lowercase hex) and size in bytes of a file's content. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/** A pass-through stage and the digest of everything that went through it. */
export interface StreamDigest {
  /** Put it in a pipeline between the source and the destination; it passes every chunk on unchanged. */
  readonly through: Transform;
  /** The digest of the bytes so far; complete once the pipeline has finished. */
  digest(): FileDigest;
}

/** A new pass-through stage that hashes and counts the bytes going through it. */
export function streamDigest(): StreamDigest {
  const hash = createHash('sha256');
  let size = 0;
  const through = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  // A copy is digested, so the digest can be read more than once.
  return { through, digest: () => ({ size, sha256: hash.copy().digest('hex') }) };
}
