// The images a debug container may use (HubOptions.debugImages, default
// DEFAULT_DEBUG_IMAGES): a debug container runs whatever its image holds inside
// someone's pod, so the hub offers a short list the operators chose, and refuses
// any other image at the boundary, naming the list.
import { problem, type JsonObject } from '@wheelhouse/protocol';
import { fail, ok, type Result } from '../service-result.js';

export function checkDebugImage(images: readonly string[], params: JsonObject): Result<void> {
  const image = params.image;
  if (typeof image === 'string' && images.includes(image)) return ok(undefined);
  const shown = typeof image === 'string' ? image : JSON.stringify(image);
  const message = `"${shown}" is not one of the hub's debug images (${images.join(', ')}); an administrator sets them with --debug-images`;
  return fail(
    problem(
      'invalid_request',
      { message: `params.image: ${message}` },
      { issues: [{ path: 'params.image', message }], allowed: [...images] },
    ),
  );
}

/** The catalog's JSON Schema of debug-container's params, with the image limited to the configured list. */
export function withDebugImages(schema: Record<string, unknown>, images: readonly string[]): Record<string, unknown> {
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props?.image) return schema;
  return { ...schema, properties: { ...props, image: { ...props.image, enum: [...images], default: images[0] } } };
}
