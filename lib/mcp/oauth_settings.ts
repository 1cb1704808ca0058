/**
 * OAuth settings of an HTTP server, apart from the provider so the thin
 * stdio transport worker's module graph never touches the SDK.
 *
 * @module
 */

/** OAuth settings of one HTTP server (`mcp.servers.NAME.oauth`). */
export interface OAuthSettings {
  /** Redirect URI registered with the authorization server (a loopback URL the host listens on). */
  redirect_url?: string;
  /** Client name shown on the consent screen. */
  client_name?: string;
  /** Scopes to ask for (space-separated); default: what the server advertises. */
  scope?: string;
  /**
   * `authorization_code` (default: a user signs in through the browser) or
   * `client_credentials` (machine to machine, with `client_secret` or
   * `private_key_pem`; no user, tokens kept in memory).
   */
  grant?: "authorization_code" | "client_credentials" | "cross_app_access";
  /**
   * For `cross_app_access` (SEP-990, enterprise-managed authorization): the
   * identity provider's token endpoint, where the user's ID token is
   * exchanged (RFC 8693) for an ID-JAG that the authorization server takes
   * as a JWT-bearer grant (RFC 7523), with `client_id` / `client_secret`.
   */
  idp_token_endpoint?: string;
  /** For `cross_app_access`: this client's id at the identity provider. */
  idp_client_id?: string;
  /** For `cross_app_access`: the user's ID token from the identity provider. */
  id_token?: string;
  /** For `client_credentials` with `private_key_jwt`: PEM private key and its algorithm (e.g. ES256). */
  private_key_pem?: string;
  /** JWS algorithm of `private_key_pem` (default ES256). */
  signing_algorithm?: string;
  /** A Client ID Metadata Document URL (SEP-991), instead of dynamic registration. */
  client_metadata_url?: string;
  /** Pre-registered client id (and secret), instead of dynamic registration. */
  client_id?: string;
  /** Secret of the pre-registered client. */
  client_secret?: string;
  /**
   * Extra `host[:port]` the transport worker may reach: the authorization
   * server when it is not on the MCP server's host.
   */
  allowed_hosts?: string[];
}
