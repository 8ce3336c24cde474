import AjvModule, { type ValidateFunction } from 'ajv-draft-04';

/**
 * JSON Schema draft-4 validation, standing in locally for API Gateway's request validator (which speaks draft-4):
 * the local `POST /v1/events` and the tests validate with the very schema the deployed API is given.
 */

// ajv-draft-04 is CommonJS: under Node's ESM loader its class is the module's default export's `default`.
type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = (AjvModule as unknown as { default: AjvClass }).default;
const ajv = new Ajv({ allErrors: true });

/** A compiled validator of `schema`. */
export function compileDraft4(schema: object): ValidateFunction {
  return ajv.compile(schema);
}

/** API Gateway's wording of a validation failure: the broken keyword and where, semicolon-separated. */
export function validationErrorString(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
