import { REGION } from './cfn.js';

/**
 * Plain AWS protocol calls for the services the project has no SDK client for (IAM,
 * SSM, Cognito, Logs, SNS, CloudWatch in moto). moto routes by the service named in
 * the credential scope and does not check signatures, so an unsigned scope will do;
 * the rehearsal's own "CloudFormation" makes these calls, never a function.
 */
function authorization(service: string, accessKey = 'RehearsalDeployer'): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKey}/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** JSON protocol (X-Amz-Target). */
export async function jsonCall<T = Record<string, unknown>>(
  endpoint: string,
  service: string,
  target: string,
  body: Record<string, unknown>,
  version = '1.1',
): Promise<T> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': `application/x-amz-json-${version}`,
      'x-amz-target': target,
      authorization: authorization(service),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${target}: HTTP ${res.status} ${text.slice(0, 400)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Query protocol (form body, XML answer); returns the raw XML. */
export async function queryCall(endpoint: string, service: string, action: string, version: string, params: Record<string, string>): Promise<string> {
  const form = new URLSearchParams({ Action: action, Version: version, ...params });
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: authorization(service) },
    body: form.toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service}:${action}: HTTP ${res.status} ${text.slice(0, 400)}`);
  return text;
}

/** The text of the first `<tag>` in an XML answer. */
export function xmlValue(xml: string, tag: string): string {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!m?.[1]) throw new Error(`no <${tag}> in ${xml.slice(0, 300)}`);
  return m[1];
}
