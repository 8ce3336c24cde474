import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';
import { transition } from '../core/alerting/fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'config/alerting.example.yaml');

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const io: CliIo = { stdout: out, stderr: err, stderrIsTty: false };
  const code = await main(argv, io);
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

describe('seismo routes test', () => {
  it('prints the routes and receivers an episode reaches', async () => {
    const r = await run(
      'routes',
      'test',
      '--config',
      EXAMPLE,
      '--series',
      'checkout/latency',
      '--severity',
      'critical',
      '--dimension',
      'team=payments',
      '--dimension',
      'service=checkout',
      '--at',
      '2026-11-22T07:00:00Z',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `config ${EXAMPLE}`,
        'episode series="checkout/latency" channel="value" severity=critical kind=opened team="payments" service="checkout"',
        '1 route:',
        '  root › payments › payments-pages',
        '    matchers    severity="critical"',
        '    receivers   payments-slack (slack #payments-oncall), payments-pager (pagerduty)',
        '    group       by team, service: {team="payments", service="checkout"}',
        '    timing      wait 30s, interval 5m, repeat 4h',
        '    escalation  payments-oncall: after 15m payments-lead-mail; after 30m sre-mail; repeat 1×',
        '    budget      5 per 1h, digest every 1h',
        '    muted       during sunday-maintenance',
        '    at          2026-11-22T07:00:00.000Z: muted (mute time interval "sunday-maintenance")',
        'receivers: payments-slack, payments-pager',
        '',
      ].join('\n'),
    );
  });

  it('shows continue and the resolve that follows its episode', async () => {
    const r = await run(
      'routes',
      'test',
      '--config',
      EXAMPLE,
      '--series',
      'partner/orders',
      '--severity',
      'critical',
      '--kind',
      'resolved',
    );
    expect(r.stdout).toContain('2 routes:');
    expect(r.stdout).toContain('  root › partner-feed\n');
    expect(r.stdout).toContain('  root  (resolve only: the episode may have been routed here)');
    expect(r.stdout).toMatch(/receivers: partner-hook\n$/);
  });

  it('exits 2 on a wrong command line and 1 on an invalid config', async () => {
    expect((await run('routes', 'test', '--severity', 'critical')).code).toBe(2);
    const badSeverity = await run(
      'routes',
      'test',
      '--series',
      'x',
      '--severity',
      'high',
      '--config',
      EXAMPLE,
    );
    expect(badSeverity).toMatchObject({
      code: 2,
      stderr: 'seismo routes: --severity must be one of warning, critical (got "high")\n',
    });
    expect((await run('routes', 'frobnicate')).code).toBe(2);
    const dir = await mkdtemp(join(tmpdir(), 'seismo-routes-'));
    try {
      const bad = join(dir, 'bad.yaml');
      await writeFile(
        bad,
        'version: 1\nreceivers: [{name: a, type: slack, channel: "#a"}]\nroute:\n  receivers: [a]\n  routes: [{matchers: [\'x=~~"y"\']}]\n',
      );
      const r = await run('routes', 'test', '--config', bad, '--series', 'x', '--severity', 'warning');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `seismo routes: invalid alerting config ${bad}:\n  route.routes[0].matchers[0]: unknown operator "=~~" (use =, !=, =~ or !~)\n`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('seismo routes schema', () => {
  it('prints the schema shipped as config/alerting.schema.json', async () => {
    const r = await run('routes', 'schema');
    // Compared as data: Biome formats the shipped file its own way.
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(await readFile(join(ROOT, 'config/alerting.schema.json'), 'utf8')),
    );
  });
});

describe('seismo routes replay', () => {
  let dir: string;
  let file: string;
  const day = Date.UTC(2026, 10, 20, 9, 0);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-replay-'));
    file = join(dir, 'episodes.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 8; i++) {
      const start = day + i * 60_000;
      const t = transition({
        episodeId: `ep${i}`,
        series: `checkout/s${i}`,
        severity: 'critical',
        startedAt: start,
        lastSeenAt: start,
      });
      lines.push(JSON.stringify({ ...t, id: `ep${i}#opened`, summary: 'x' }));
      const resolved = { ...t, kind: 'resolved', lastSeenAt: start + 40 * 60_000 };
      // One as the whole SNS notification a subscriber stores.
      lines.push(
        i === 0
          ? JSON.stringify({ Type: 'Notification', Message: JSON.stringify(resolved) })
          : JSON.stringify(resolved),
      );
    }
    lines.push('{"kind":"opened"}', '', 'not json');
    lines.push(
      JSON.stringify(
        transition({ episodeId: 'old', startedAt: day - 30 * 86_400_000, lastSeenAt: day - 30 * 86_400_000 }),
      ),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints what each receiver would have got, budget and escalation included', async () => {
    const r = await run(
      'routes',
      'replay',
      '--config',
      EXAMPLE,
      '--from-file',
      file,
      '--since',
      '7d',
      '--until',
      '2026-11-21T00:00:00Z',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'replayed 16 transitions of 8 episodes from 2026-11-14 00:00 UTC to 2026-11-21 00:00 UTC',
    );
    const row = (name: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.trim()
        .split(/\s+/);
    // One group (team, service): opened once, then updates as series join, escalations, and the resolve.
    expect(row('payments-pager')?.slice(0, 2)).toEqual(['payments-pager', 'pagerduty']);
    expect(row('payments-lead-mail')?.[4]).not.toBe('0');
    expect(row('oncall-slack')?.at(-1)).toBe('0');
    expect(r.stdout).toMatch(
      /held back: 0 muted, \d+ over budget \(sent in digests\), \d+ dropped by the notification log/,
    );
    expect(r.stderr).toContain(`skipped 2 unreadable record(s):\n  ${file}:17: not an episode transition:`);
    expect(r.stderr).toContain(`${file}:19: not an episode transition: body is not JSON`);
  });

  it('lists every notification with --verbose', async () => {
    const r = await run(
      'routes',
      'replay',
      '--config',
      EXAMPLE,
      '--from-file',
      file,
      '--until',
      '2026-11-21T00:00:00Z',
      '--verbose',
    );
    expect(r.stdout).toMatch(
      /^2026-11-20 09:00 UTC {2}payments-slack +opened +inc-[0-9a-f]{24} "checkout\/s0"$/m,
    );
    expect(r.stdout).toMatch(/^2026-11-20 09:15 UTC {2}payments-lead-mail +escalated +inc-/m);
  });

  it('needs one source and a valid --since', async () => {
    expect(
      (await run('routes', 'replay', '--config', EXAMPLE, '--from-file', file, '--table', 'transitions'))
        .code,
    ).toBe(2);
    expect((await run('routes', 'replay', '--config', EXAMPLE, '--from-file', file, '--local')).code).toBe(2);
    expect(
      (await run('routes', 'replay', '--config', EXAMPLE, '--from-file', file, '--since', 'a week')).code,
    ).toBe(2);
  });

  it("without a file, reads the local stack's table, and says when none runs (exit 1)", async () => {
    vi.stubEnv('SEISMO_STACK_FILE', join(dir, 'no-stack.json'));
    vi.stubEnv('SEISMO_ALERT_TRANSITIONS_TABLE', '');
    try {
      const r = await run('routes', 'replay', '--config', EXAMPLE);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no local stack is running .*stack output alert-transitions-table/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('seismo alerts preview', () => {
  it('renders each channel for a sample episode', async () => {
    const r = await run('alerts', 'preview', '--config', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('── slack (payments-slack) ──');
    expect(r.stdout).toContain('"text": "🔴 CRITICAL · checkout/latency"');
    expect(r.stdout).toContain('Subject: [Seismo] CRITICAL FIRING: checkout/latency');
    expect(r.stdout).toContain('"type": "seismo.episode.opened"');
    expect(r.stdout).toContain('"event_action": "trigger"');
  });

  it('renders one channel, one kind, a group', async () => {
    const r = await run(
      'alerts',
      'preview',
      '--config',
      EXAMPLE,
      '--channel',
      'email',
      '--kind',
      'resolved',
      '--members',
      '3',
      '--html',
    );
    expect(r.stdout).toContain(
      'Subject: [Seismo] CRITICAL RESOLVED: 3 series, team=payments, service=checkout',
    );
    expect(r.stdout).toContain('<!doctype html>');
    expect(r.stdout).not.toContain('── slack');
  });

  it('exits 2 on an unknown channel or kind', async () => {
    expect((await run('alerts', 'preview', '--channel', 'fax')).code).toBe(2);
    expect((await run('alerts', 'preview', '--kind', 'exploded')).code).toBe(2);
    expect((await run('alerts')).code).toBe(2);
  });
});
