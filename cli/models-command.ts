import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { ModelPointer, PromotionLogEntry } from '../core/learning/registry.ts';
import { PromotionConflict, RegistryError } from '../core/learning/registry.ts';
import {
  ModelChecksumMismatch,
  ModelSchemaMismatch,
  verifyModel,
} from '../core/scoring/model-verification.ts';
import { ModelCardError, readModelCard } from '../models/model-store.ts';
import { CliError, type Command, parseOptions, UsageError } from './command.ts';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_USAGE, resolveRegistry } from './registry-target.ts';

const USAGE = `Usage: seismo models <list | show V | register DIR | promote V | rollback | history [--at T]> [options]

The model registry: immutable versions (v1, v2, …) and the champion, challenger and previous pointers.

  list             every version, with the pointers that name it
  show V           a version's card and its evaluation report
  register DIR     a model directory (model.json and its .onnx, as npm run train writes) as the next
                   version, verified first; it passed no gate: promote it only if you know why
  promote V        make V the champion (the old one becomes previous)
  rollback         make the previous champion the champion again
  history          the promotion log, oldest first; --at T: the champion live at T (ISO 8601)

Options:
  --reason TEXT   why (promote, rollback); logged
  --who NAME      who (default: your user name); logged
  --at TIME       with history: the model live at TIME
  --json          machine-readable output
${REGISTRY_OPTIONS_USAGE}  -h, --help      show this help

Exit codes: 0 done, 1 refused (unknown version, nothing to roll back to, the pointers moved meanwhile), 2 usage.
`;

const OPTIONS = {
  ...REGISTRY_OPTIONS,
  reason: { type: 'string' },
  who: { type: 'string' },
  at: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

function version(arg: string | undefined, sub: string): number {
  const v = arg === undefined ? Number.NaN : Number(arg.replace(/^v/, ''));
  if (!Number.isInteger(v) || v < 1)
    throw new UsageError(
      `seismo models ${sub} needs a version: a number like 3 or v3, got ${arg ?? 'nothing'}`,
    );
  return v;
}

const short = (p?: ModelPointer) => (p ? `v${p.version}` : '-');

function logLine(e: PromotionLogEntry): string {
  const move =
    e.action === 'challenger'
      ? `challenger ${e.from ? `v${e.from}` : '-'} → v${e.to}`
      : `${e.action} ${e.from ? `v${e.from}` : '-'} → ${e.to ? `v${e.to}` : '-'}`;
  return `${e.at}  #${e.revision}  ${move.padEnd(24)}  by ${e.who}: ${e.reason}${e.report ? ` (report ${e.report})` : ''}`;
}

/** `seismo models`: list, show, promote, rollback and history of the model registry. */
export const modelsCommand: Command = {
  name: 'models',
  summary: 'the model registry: list, show, promote, rollback, history',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions('models', args, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const [sub, arg, ...extra] = positionals;
    if (extra.length > 0)
      throw new UsageError(`unexpected argument(s) ${extra.join(' ')} (see "seismo models --help")`);
    const { registry, description } = resolveRegistry(values);
    const who = values.who ?? userInfo().username;
    const out = (text: string, json: unknown) =>
      io.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : text);
    try {
      switch (sub) {
        case 'list': {
          const [versions, pointers] = await Promise.all([registry.versions(), registry.pointers()]);
          const lines = versions.map(
            (v) =>
              `v${String(v.version).padEnd(5)} ${v.sha256.slice(0, 12)}  ${(v.roles.join(',') || '-').padEnd(18)} ${v.uri}`,
          );
          out(
            `${description}: champion ${short(pointers.champion)}, challenger ${short(pointers.challenger)}, previous ${short(pointers.previous)}\n${lines.join('\n')}${lines.length ? '\n' : 'no version registered yet\n'}`,
            { pointers, versions },
          );
          return 0;
        }
        case 'show': {
          const v = version(arg, 'show');
          const card = await registry.card(v);
          const report = await registry.report(v);
          out(
            `${card.trimEnd()}\n${report ? `\nEvaluation report (JSON):\n${report}` : '\n(no evaluation report)\n'}`,
            {
              card: JSON.parse(card),
              report: report ? JSON.parse(report) : null,
            },
          );
          return 0;
        }
        case 'register': {
          if (arg === undefined) throw new UsageError('seismo models register needs a model directory');
          const card = await readModelCard(arg);
          const onnx = new Uint8Array(await readFile(join(arg, card.onnxFile)));
          verifyModel(card, onnx);
          const p = await registry.register({
            onnx,
            cardJson: await readFile(join(arg, 'model.json'), 'utf8'),
          });
          out(`registered ${card.name}@${card.version} as v${p.version} (${p.uri})\n`, p);
          return 0;
        }
        case 'promote': {
          const v = version(arg, 'promote');
          const p = await registry.promote(v, { who, reason: values.reason ?? 'promoted by hand' });
          out(`v${v} is the champion (previous ${short(p.previous)}), revision ${p.revision}\n`, p);
          return 0;
        }
        case 'rollback': {
          const p = await registry.rollback({ who, reason: values.reason ?? 'rolled back by hand' });
          out(`rolled back: ${short(p.champion)} is the champion again, revision ${p.revision}\n`, p);
          return 0;
        }
        case 'history': {
          if (values.at !== undefined) {
            const at = Date.parse(values.at);
            if (Number.isNaN(at)) throw new UsageError(`--at must be an ISO 8601 time, got "${values.at}"`);
            const live = await registry.liveAt(at);
            out(
              live
                ? `v${live.version} was live at ${new Date(at).toISOString()} (${live.uri})\n`
                : `no registered model was live at ${new Date(at).toISOString()} (the layer's default model served)\n`,
              live ?? null,
            );
            return 0;
          }
          const log = await registry.history();
          out(log.length ? `${log.map(logLine).join('\n')}\n` : 'no pointer has moved yet\n', log);
          return 0;
        }
        default:
          throw new UsageError(
            `unknown or missing subcommand ${sub ?? ''} (list, show, register, promote, rollback, history; see "seismo models --help")`,
          );
      }
    } catch (error) {
      if (error instanceof PromotionConflict)
        throw new CliError(`${error.message}; run "seismo models list" and decide again`);
      if (
        error instanceof RegistryError ||
        error instanceof ModelCardError ||
        error instanceof ModelChecksumMismatch ||
        error instanceof ModelSchemaMismatch
      )
        throw new CliError(error.message);
      throw error;
    }
  },
};
