import { jsonCall } from './aws-raw.js';
import type { Rehearsal } from './stack.js';

/**
 * Sign-in through the Cognito stand-in (moto's cognito-idp, with the pool and the
 * dashboard client the template defines): the user exists with a permanent password
 * and authenticates against the template's app client; the ID token is what the
 * hosted UI would hand the dashboard.
 */
export async function signIn(r: Rehearsal, username: string, password: string): Promise<string> {
  const res = r.deployment.template.Resources;
  const pool = Object.keys(res).find((id) => res[id]?.Type === 'AWS::Cognito::UserPool');
  const client = Object.keys(res).find((id) => res[id]?.Type === 'AWS::Cognito::UserPoolClient');
  if (!pool || !client) throw new Error('the template has no Cognito user pool and client');
  const UserPoolId = r.deployment.resolver.ref(pool);
  const ClientId = r.deployment.resolver.ref(client);
  const target = (op: string) => `AWSCognitoIdentityProviderService.${op}`;
  await jsonCall(r.emu.moto, 'cognito-idp', target('AdminCreateUser'), {
    UserPoolId,
    Username: username,
    MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: `${username}@example.org` }, { Name: 'email_verified', Value: 'true' }],
  });
  await jsonCall(r.emu.moto, 'cognito-idp', target('AdminSetUserPassword'), { UserPoolId, Username: username, Password: password, Permanent: true });
  const auth = await jsonCall<{ AuthenticationResult?: { IdToken?: string } }>(r.emu.moto, 'cognito-idp', target('AdminInitiateAuth'), {
    UserPoolId,
    ClientId,
    AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  const token = auth.AuthenticationResult?.IdToken;
  if (!token) throw new Error(`Cognito answered no ID token: ${JSON.stringify(auth).slice(0, 200)}`);
  return token;
}
