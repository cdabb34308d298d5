import * as oidc from 'openid-client';
import { errorMessage, SignInFailedError as SignInFailed } from '../../core/errors.ts';
import { PERSONAL_CODE_SCHEME, type Persons } from '../../privacy/personal.ts';
import type { OidcSettings } from '../contact-point/settings.ts';
import type { PendingSignIn } from './sessions.ts';

/** Why a sign-in did not give a learner: the learner cancelled at the provider, or something failed (a coded HubError). */
export { SignInFailedError as SignInFailed } from '../../core/errors.ts';

/** A personal code as the hub stores it (DDMMYY-NNNNN), from the forms providers send (with or without the hyphen, `PNOLV-` prefix). */
export function normalisePersonalCode(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const digits = v.replace(/^PNOLV-/i, '').replace(/[\s-]/g, '');
  return /^\d{11}$/.test(digits) ? `${digits.slice(0, 6)}-${digits.slice(6)}` : undefined;
}

/**
 * The learner's sign-in with OpenID Connect (authorization code with PKCE, state and nonce;
 * openid-client). The provider's discovery document is read on the first sign-in and kept. What the
 * hub keeps of the ID token: the hub ids of the person records holding the personal code of the
 * configured claim; the code itself is neither stored, logged nor put in a URL.
 */
export class LearnerSignIn {
  private config: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly s: OidcSettings,
    private readonly persons: Persons,
  ) {}

  private configuration(): Promise<oidc.Configuration> {
    const s = this.s;
    this.config ??= oidc
      .discovery(new URL(s.issuer), s.clientId, s.clientSecret ? { client_secret: s.clientSecret } : undefined, s.clientSecret ? oidc.ClientSecretPost(s.clientSecret) : oidc.None(), {
        ...(s.insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: 10,
      })
      .catch((e: unknown) => {
        this.config = undefined;
        throw new SignInFailed(false, `the sign-in provider could not be reached: ${errorMessage(e)}`);
      });
    return this.config;
  }

  /** A new sign-in: its secrets (kept in the session) and the provider URL to send the learner to. */
  async begin(redirectUri: string, lang: 'lv' | 'en'): Promise<{ pending: PendingSignIn; url: string }> {
    const config = await this.configuration();
    const pending: PendingSignIn = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.s.scope,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      ui_locales: lang,
      // Every session is the learner's own sign-in (a shared computer keeps no one signed in for the next).
      prompt: 'login',
    });
    return { pending, url: url.href };
  }

  /**
   * The callback: checks state, exchanges the code (PKCE), checks the ID token (issuer, audience,
   * nonce, signature) and answers the hub ids of the learner's person records (none: the hub holds
   * nothing of them). A provider's error answer `access_denied` is the learner cancelling.
   */
  async finish(redirectUri: string, query: URLSearchParams, pending: PendingSignIn): Promise<string[]> {
    const error = query.get('error');
    if (error) throw new SignInFailed(error === 'access_denied', `the sign-in provider answered ${error}`);
    const config = await this.configuration();
    const current = new URL(redirectUri);
    current.search = query.toString();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
      claims = tokens.claims();
    } catch (e) {
      throw new SignInFailed(false, `the sign-in could not be completed: ${errorMessage(e)}`);
    }
    const code = normalisePersonalCode(claims?.[this.s.personalCodeClaim]);
    if (!code) throw new SignInFailed(false, `the sign-in provider's ID token has no personal code in the claim '${this.s.personalCodeClaim}'`);
    const found = await this.persons.byIdentifier({ scheme: PERSONAL_CODE_SCHEME, value: code }, undefined);
    return found.filter((p) => p.data.erased !== true).map((p) => p.id);
  }
}
