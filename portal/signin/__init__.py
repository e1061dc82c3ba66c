"""Sign-in: the portal as OAuth 2.0 authorization server and OpenID relying party."""
