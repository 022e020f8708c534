// WAV files of linear 16-bit mono PCM, written as the audio arrives: the 44-byte RIFF header
// first with zero sizes, the frames appended in order, then the header rewritten with the real
// sizes when the stream ends. Used by jambonz's audio socket (jambonz-audio.ts).
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export const WAV_HEADER_BYTES = 44;
const CHANNELS = 1;
const BYTES_PER_SAMPLE = 2;

/** The RIFF/WAVE header of `dataBytes` bytes of mono 16-bit PCM at `sampleRate`. */
export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // the fmt chunk's size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(CHANNELS, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * CHANNELS * BYTES_PER_SAMPLE, 28); // byte rate
  h.writeUInt16LE(CHANNELS * BYTES_PER_SAMPLE, 32); // block align
  h.writeUInt16LE(BYTES_PER_SAMPLE * 8, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Seconds of audio in `dataBytes` bytes at `sampleRate`, rounded to whole seconds (as providers report them). */
export function wavSeconds(sampleRate: number, dataBytes: number): number {
  return Math.round(dataBytes / (sampleRate * CHANNELS * BYTES_PER_SAMPLE));
}

/** One WAV file being written; writes are queued, so frames may come before the file is open. */
export class WavWriter {
  private bytes = 0;
  private queue: Promise<FileHandle>;

  constructor(
    readonly path: string,
    readonly sampleRate: number,
  ) {
    this.queue = create(path, sampleRate);
    this.queue.catch(() => undefined); // reported by finish()
  }

  /** Bytes of audio appended so far. */
  get dataBytes(): number {
    return this.bytes;
  }

  append(pcm: Buffer): void {
    this.bytes += pcm.length;
    this.queue = this.queue.then(async (file) => (await file.write(pcm), file));
    this.queue.catch(() => undefined);
  }

  /** Writes the sizes into the header and closes the file; an empty recording's file is removed. Its audio bytes. */
  async finish(): Promise<number> {
    const file = await this.queue;
    try {
      await file.write(wavHeader(this.sampleRate, this.bytes), 0, WAV_HEADER_BYTES, 0);
    } finally {
      await file.close();
    }
    if (this.bytes === 0) await unlink(this.path);
    return this.bytes;
  }

  /** Closes and removes the file (a stream refused after it began). */
  async discard(): Promise<void> {
    const file = await this.queue.catch(() => undefined);
    await file?.close();
    await unlink(this.path).catch(() => undefined);
  }
}

async function create(path: string, sampleRate: number): Promise<FileHandle> {
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, 'wx');
  await file.write(wavHeader(sampleRate, 0));
  return file;
}
