import velocity from 'velocityjs';

/**
 * API Gateway's mapping-template runtime, as far as Seismo's templates use it, on velocityjs: `$input.path`,
 * `$input.json`, `$input.params`, `$util.base64Encode`, `$util.escapeJavaScript` (Java's escaping, single quotes
 * included, and a Java-style `replaceAll`), `$context.responseOverride.status` and `.header`. The local server
 * renders the deployed templates with it; it is not a general VTL engine for API Gateway.
 */

/** What a template sees of the request (or, in a response template, of the integration's answer). */
export interface TemplateInput {
  /** The JSON body the template reads with `$input.path` / `$input.json`. */
  readonly body: unknown;
  /** Query string, path and header parameters of the method request, for `$input.params`. */
  readonly params: Readonly<Record<string, string>>;
}

/** A rendered template and the overrides it set. */
export interface Rendered {
  readonly output: string;
  readonly status?: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A Java string's `replaceAll` (its pattern is a regular expression), which templates call on escaped text. */
class JavaString {
  constructor(private readonly value: string) {}
  replaceAll(pattern: string, replacement: string): JavaString {
    return new JavaString(this.value.replace(new RegExp(pattern, 'g'), replacement));
  }
  toString(): string {
    return this.value;
  }
}

/** `$util.escapeJavaScript`: Apache Commons' escapeJavaScript, as API Gateway applies it. */
export function escapeJavaScript(text: unknown): JavaString {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes.
  const value = String(text ?? '').replace(/[\\"'/\u0000-\u001f]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case '"':
        return '\\"';
      case "'":
        return "\\'";
      case '/':
        return '\\/';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      default:
        return `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    }
  });
  return new JavaString(value);
}

/** Evaluates the JSONPath subset API Gateway templates use: `$`, `.name`, `[index]`. */
function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSONPath "${path}" must start with $`);
  let value: unknown = root;
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]/g) ?? [];
  for (const step of steps) {
    if (value === null || value === undefined) return undefined;
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step.slice(1);
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** Templates parsed once: the local server renders the same few on every request. */
const parsed = new Map<string, ReturnType<typeof velocity.parse>>();

/** Renders `template` against `input`, as API Gateway would. */
export function renderTemplate(template: string, input: TemplateInput): Rendered {
  const responseOverride: { status?: number; header: Record<string, string> } = { header: {} };
  const context = {
    input: {
      path: (path: string) => jsonPath(input.body, path),
      json: (path: string) => JSON.stringify(jsonPath(input.body, path) ?? null),
      params: (name: string) => input.params[name] ?? '',
    },
    util: {
      base64Encode: (text: unknown) => Buffer.from(String(text)).toString('base64'),
      escapeJavaScript,
    },
    context: { responseOverride },
  };
  let ast = parsed.get(template);
  if (!ast) {
    ast = velocity.parse(template);
    parsed.set(template, ast);
  }
  const output = new velocity.Compile(ast).render(context);
  return {
    output,
    ...(responseOverride.status === undefined ? {} : { status: Number(responseOverride.status) }),
    headers: Object.fromEntries(
      Object.entries(responseOverride.header).map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
  };
}
