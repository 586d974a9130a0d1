-- One key ring for every instance (issue #13 §3): the ES256 keys that sign access tokens, with rotation (the newest
-- unretired key signs; a retired key keeps verifying until the tokens it signed have expired), and the ASP.NET Core
-- Data Protection keys (cookies, antiforgery), so a cookie issued by one instance is good on another.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);

CREATE TABLE dataprotection_keys (
    name TEXT PRIMARY KEY,
    xml  TEXT NOT NULL
);
