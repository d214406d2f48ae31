import * as z from 'zod';

/**
 * A CloudFormation custom resource request, as CloudFormation invokes a Lambda
 * function whose ARN is the resource's ServiceToken, and the answer it waits for
 * (a PUT of a JSON document to the presigned ResponseURL; without one the stack
 * hangs until CloudFormation's one-hour timeout).
 */
export const CustomResourceEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.string().url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.record(z.string(), z.unknown()).default({}),
});
export type CustomResourceEvent = z.infer<typeof CustomResourceEvent>;

export interface CustomResourceOutcome {
  readonly status: 'SUCCESS' | 'FAILED';
  /** Shown in the stack events when FAILED: never a secret. */
  readonly reason?: string;
  readonly physicalResourceId: string;
  readonly data?: Record<string, string | number>;
}

/** The response document for `event` (what sendResponse PUTs). */
export function responseBody(event: CustomResourceEvent, outcome: CustomResourceOutcome): string {
  return JSON.stringify({
    Status: outcome.status,
    Reason: outcome.reason ?? (outcome.status === 'SUCCESS' ? 'OK' : 'failed'),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ...(outcome.data === undefined ? {} : { Data: outcome.data }),
  });
}

export async function sendResponse(event: CustomResourceEvent, outcome: CustomResourceOutcome): Promise<void> {
  const body = responseBody(event, outcome);
  // The presigned URL is signed without a content type: send none.
  const res = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation response upload failed: HTTP ${res.status}`);
}
