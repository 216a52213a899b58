import { describe, expect, it } from 'vitest';
import { TCP_ESTABLISHED, TCP_LISTEN, analyzeSoak, lassoMetricFigures, parseTcpTable, parseVmRssKb, socketInode, theilSen } from '../../../src/battle/soak.js';
import { parsePrometheusText } from '../../../src/chaos/scenario/index.js';
import type { SoakSample } from '../../../src/battle/soak.js';
import { evaluateSlos } from '../../../src/battle/slo.js';

const HOUR = 3_600_000;
/** An hour of samples every 10 s; `fdsPerHour` of file-descriptor growth, heap noisy with GC spikes. */
const hour = (fdsPerHour: number): SoakSample[] =>
  Array.from({ length: 360 }, (_, i) => ({
    tMs: i * 10_000,
    heapUsedMb: 60 + (i % 17 === 0 ? 30 : 0),
    rssMb: 150,
    handles: 40,
    sockets: 12,
    subscriptions: 15,
    upstreamSubscriptions: 2,
    eventLoopLagMs: 12 + (i % 3),
    fds: 80 + Math.floor(((i * 10_000) / HOUR) * fdsPerHour),
    upstreamSockets: 6,
    wsConnections: 15,
  }));

describe('soak leak verdict (48-hour projection)', () => {
  it('a flat run with GC spikes passes every resource; a slow fd leak fails on its projection alone', () => {
    const flat = analyzeSoak(hour(0), { warmupMs: 60_000 }, HOUR, 4242);
    expect(flat.growth.map((g) => g.resource)).toEqual(['heapMb', 'rssMb', 'eventLoopLagMs', 'handles', 'fds', 'sockets', 'upstreamSockets', 'wsConnections', 'subscriptions']);
    expect(flat.growth.every((g) => g.passed)).toBe(true);

    // 8 fds an hour: a small step within the run, 384 over 48 hours (bound 256).
    const leak = analyzeSoak(hour(8), { warmupMs: 60_000 }, HOUR, 4242);
    const fds = leak.growth.find((g) => g.resource === 'fds')!;
    expect(fds.projected48h).toBeGreaterThan(256);
    expect(fds.passed).toBe(false);
    const slos = evaluateSlos({}, { totals: { requests: 0, answeredRatio: 1, latencyMs: { p50: 0, p95: 0, p99: 0 } }, subscriptions: {} as never, faults: { disturbedLatencyMs: 0, cleanWindowMs: 0, episodes: [] }, soak: leak });
    expect(slos.filter((s) => !s.passed).map((s) => s.id)).toEqual(['soak.fds.48h']);
  });

  it('the robust slope ignores a few outliers that tilt a least-squares fit', () => {
    const points: [number, number][] = Array.from({ length: 100 }, (_, i) => [i, i === 99 ? 1000 : 5]);
    expect(theilSen(points)).toBe(0);
  });
});

describe('soak sampling parsers', () => {
  it('reads VmRSS from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1234567 kB\nVmRSS:\t  131072 kB\nRssAnon:\t  90000 kB\n';
    expect(parseVmRssKb(status)).toBe(131072);
    expect(parseVmRssKb('Name:\tkthreadd\n')).toBeNull();
  });

  it('tells socket fds by their inode and ignores other links', () => {
    expect(socketInode('socket:[123456]')).toBe(123456);
    expect(socketInode('pipe:[42]')).toBeNull();
    expect(socketInode('/dev/null')).toBeNull();
  });

  it('parses /proc/<pid>/net/tcp rows: remote port, state, inode', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:A3C1 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5551 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:D2F0 0100007F:9C41 01 00000000:00000000 00:00000000 00000000  1000        0 5552 1 0000000000000000 20 4 30 10 -1',
      '',
    ].join('\n');
    expect(parseTcpTable(table)).toEqual([
      { localPort: 0xa3c1, remotePort: 0, state: TCP_LISTEN, inode: 5551 },
      { localPort: 0xd2f0, remotePort: 0x9c41, state: TCP_ESTABLISHED, inode: 5552 },
    ]);
  });

  it("takes heap, event-loop lag, handles and WebSocket state from Lasso's /metrics, and nothing without process metrics", () => {
    const metrics = parsePrometheusText(
      [
        'lasso_nodejs_heap_size_used_bytes 52428800',
        'lasso_nodejs_active_handles_total 37',
        'lasso_nodejs_eventloop_lag_p99_seconds 0.0125',
        'lasso_ws_client_connections{chain="devnet"} 15',
        'lasso_ws_client_subscriptions{chain="devnet",kind="newHeads"} 10',
        'lasso_ws_client_subscriptions{chain="devnet",kind="logs"} 5',
        'lasso_subscription_upstream_active{chain="devnet",provider="node-0"} 2',
      ].join('\n'),
    );
    expect(lassoMetricFigures(metrics)).toEqual({ heapUsedMb: 50, handles: 37, eventLoopLagMs: 12.5, subscriptions: 15, upstreamSubscriptions: 2, wsConnections: 15 });
    expect(lassoMetricFigures(parsePrometheusText('lasso_ws_client_connections{chain="devnet"} 1'))).toBeNull();
  });
});
