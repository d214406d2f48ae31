import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { type DashboardConfig, LOGIN_CALLBACK_PATH } from '../../web/src/dashboard-config.js';
import { acknowledge } from '../nag.js';

export interface AuthProps {
  /**
   * External OIDC provider. When given, no Cognito user pool is created.
   * @default - a Cognito user pool with a PKCE app client
   */
  readonly external?: { readonly issuer: string; readonly audience: string; readonly jwksUri?: string };
  /** Claim holding the Copr username. @default 'cognito:username' (Cognito) or 'preferred_username' */
  readonly usernameClaim?: string;
  /** `https://<host>` of the dashboard: its sign-in callback and logout URLs are allowed. */
  readonly dashboardUrl: string;
  /** Cognito hosted-UI domain prefix (must be unique in the region). @default - none, no hosted UI domain */
  readonly cognitoDomainPrefix?: string;
  /** Keep the user pool when the stack is deleted. @default false */
  readonly retain?: boolean;
}

/** Scopes the dashboard asks for; the Cognito client allows exactly these. */
const DASHBOARD_SCOPES = 'openid email profile';

/**
 * Who signs users in. The API verifies OIDC JWTs from exactly one issuer; this
 * construct says which one and exposes the OIDC_* values the API reads.
 */
export class Auth extends Construct {
  public readonly userPool?: cognito.UserPool;
  public readonly client?: cognito.UserPoolClient;
  public readonly domain?: cognito.UserPoolDomain;
  public readonly issuer: string;
  public readonly audience: string;
  public readonly jwksUri?: string;
  public readonly usernameClaim: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    if (props.external !== undefined) {
      this.issuer = props.external.issuer;
      this.audience = props.external.audience;
      this.jwksUri = props.external.jwksUri;
      this.usernameClaim = props.usernameClaim ?? 'preferred_username';
      return;
    }

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: true,
      signInAliases: { username: true, email: true },
      // Copr usernames appear in URLs and repository ids; keep them case-stable.
      signInCaseSensitive: false,
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.retain === true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: props.retain === true,
    });
    this.client = this.userPool.addClient('Dashboard', {
      // Public client: authorization code + PKCE, no secret in the browser.
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${props.dashboardUrl}${LOGIN_CALLBACK_PATH}`],
        logoutUrls: [`${props.dashboardUrl}/`],
      },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
    });
    if (props.cognitoDomainPrefix !== undefined) {
      this.domain = this.userPool.addDomain('Domain', {
        cognitoDomain: { domainPrefix: props.cognitoDomainPrefix },
      });
    }
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    // ID tokens carry the app client id as `aud`, which the API checks.
    this.audience = this.client.userPoolClientId;
    this.usernameClaim = props.usernameClaim ?? 'cognito:username';

    acknowledge(
      this.userPool,
      {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional (TOTP) so community packagers can sign up without a second device.',
      },
      {
        id: 'AwsSolutions-COG3',
        reason: 'Threat protection needs the Cognito Plus feature plan; operators can enable it per pool.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason: 'The Plus feature plan costs per active user; the Essentials defaults are enough for sign-in.',
      },
    );
  }

  /**
   * The dashboard's /config.json. The dashboard sends the ID token: its `aud` is
   * the client id the API checks (OIDC_AUDIENCE) and, on Cognito, it carries
   * `cognito:username`; a Cognito access token has neither.
   */
  dashboardConfig(dashboardUrl: string): DashboardConfig {
    const config: DashboardConfig = {
      issuer: this.issuer,
      clientId: this.audience,
      redirectUri: `${dashboardUrl}${LOGIN_CALLBACK_PATH}`,
      scope: DASHBOARD_SCOPES,
      bearer: 'id_token',
    };
    if (this.domain !== undefined) {
      // The hosted UI lives on its own domain, not under the issuer; no discovery fetch needed.
      const base = this.domain.baseUrl();
      config.authorizationEndpoint = `${base}/oauth2/authorize`;
      config.tokenEndpoint = `${base}/oauth2/token`;
    }
    return config;
  }
}
