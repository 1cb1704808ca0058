/**
 * One JSON Schema validator (Ajv) shared by every server's client, instead
 * of the SDK's default of one Ajv instance per `Client` (about 1 MB each).
 * Schemas that carry an `$id` are compiled in a per-server instance, created
 * on first need, so two servers using the same `$id` for different schemas
 * never see each other's.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/validation/ajv-provider"
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
// @ts-types="@modelcontextprotocol/sdk/validation/types"
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from "@modelcontextprotocol/sdk/validation/types.js";

let shared: AjvJsonSchemaValidator | undefined;

/**
 * A validator for one server's client, backed by the shared instance.
 *
 * @example
 * ```ts
 * import { serverSchemaValidator } from "./schema_validator.ts";
 * const v = serverSchemaValidator().getValidator({ type: "number" });
 * v(3).valid; // true
 * ```
 */
export function serverSchemaValidator(): jsonSchemaValidator {
  let own: AjvJsonSchemaValidator | undefined;
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      if (typeof schema.$id === "string") {
        own ??= new AjvJsonSchemaValidator();
        return own.getValidator<T>(schema);
      }
      shared ??= new AjvJsonSchemaValidator();
      return shared.getValidator<T>(schema);
    },
  };
}
