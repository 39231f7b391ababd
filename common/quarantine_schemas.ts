/**
 * Request shapes of the quarantine routes (host-windows whose analysis failed). The id travels
 * in the body: it holds "/" and "|", which a path segment would have to escape.
 */
import { z } from 'zod';

export const quarantineIdBody = z
  .object({
    id: z
      .string({ message: 'id is required: the id of a quarantined host-window' })
      .min(1, 'id must not be empty')
      .max(1_200, 'id is too long to be a quarantined host-window id'),
  })
  .strict();

export type QuarantineIdBody = z.infer<typeof quarantineIdBody>;
