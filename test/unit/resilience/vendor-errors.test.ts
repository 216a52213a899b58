import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticUpstream, type StaticUpstream } from '../../../src/chaos/static-upstream.js';
import { CapabilityMemory, acceptedBlocks, classifyOutcome } from '../../../src/resilience/index.js';
import { HttpUpstream } from '../../../src/transport/http-upstream.js';
import { VENDOR_ERROR_FIXTURES, type VendorErrorFixture } from './vendor-errors.fixtures.js';

/** Each fixture goes through the real HTTP transport, so the classifier sees what it sees in production. */
describe('classifier on real vendors\' error answers', () => {
  let upstream: StaticUpstream;
  let transport: HttpUpstream;
  let current: VendorErrorFixture | undefined;

  beforeAll(async () => {
    upstream = await startStaticUpstream({
      handler: (req) => {
        const fixture = current;
        if (fixture === undefined) return undefined;
        const body = typeof fixture.body === 'string' ? fixture.body : JSON.stringify({ ...fixture.body, id: req.id });
        return { http: { status: fixture.status, headers: fixture.headers ?? { 'content-type': 'application/json' }, body } };
      },
    });
    transport = new HttpUpstream({ url: upstream.url });
  });
  afterAll(async () => {
    await transport?.close();
    await upstream?.close();
  });

  it.each(VENDOR_ERROR_FIXTURES.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    current = fixture;
    const outcome = await transport.send({ method: fixture.method, params: [], timeoutMs: 5_000 });
    const c = classifyOutcome(outcome, fixture.method);
    expect(c).toMatchObject(fixture.expected);
    expect(c?.rangeLimit).toEqual(fixture.expected.rangeLimit);

    if (c?.capabilityKind !== 'range_too_large') return;
    // The memory offers a splitter what the refusal stated, even when the request's range was not known.
    const memory = new CapabilityMemory();
    memory.record('p', fixture.method, c);
    expect(memory.logsRangeLimit('p', fixture.method)).toBe(fixture.acceptedBlocks);
    if (fixture.acceptedBlocks !== undefined) expect(acceptedBlocks(c.rangeLimit)).toBe(fixture.acceptedBlocks);
  });
});
