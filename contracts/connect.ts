import { z } from 'zod';

// Step 3 of the partner journey (connect the Microsoft tenant), shared by server and web.

export const legalDocumentSchema = z.enum(['terms_of_use', 'privacy_policy']);

export const legalTextsSchema = z.object({
  documents: z.array(
    z.object({ document: legalDocumentSchema, title: z.string(), version: z.string(), sha256: z.string(), content: z.string() }),
  ),
});

export const termsAcceptanceSchema = z.object({
  accepted: z.literal(true, { error: 'Tick the box to confirm that you accept the Terms of Use and the Privacy Policy.' }),
  documents: z
    .array(
      z.object({
        document: legalDocumentSchema,
        version: z.string().trim().min(1).max(20),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'The document fingerprint is damaged; reload the page.' }),
      }),
    )
    .min(1)
    .max(2),
});
export type TermsAcceptance = z.infer<typeof termsAcceptanceSchema>;

export const connectProgressSchema = z.object({
  companyName: z.string(),
  reference: z.string(),
  state: z.string(),
  linkExpiresAt: z.iso.datetime(),
  terms: z.object({
    accepted: z.boolean(),
    acceptedAt: z.iso.datetime().nullable(),
    documents: z.array(z.object({ document: legalDocumentSchema, version: z.string() })),
  }),
});
export type ConnectProgress = z.infer<typeof connectProgressSchema>;
