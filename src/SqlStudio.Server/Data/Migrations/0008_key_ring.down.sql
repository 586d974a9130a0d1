DROP TABLE IF EXISTS dataprotection_keys;
DROP TABLE IF EXISTS signing_keys;
