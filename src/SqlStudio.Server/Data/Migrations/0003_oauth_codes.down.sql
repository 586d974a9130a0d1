DROP TABLE IF EXISTS oauth_codes;
