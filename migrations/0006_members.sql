-- Several people per organization. The first user of an organization is its manager; managers
-- invite colleagues by e-mail and remove members (a removed member keeps their row, for the
-- history that names them, and can no longer sign in). Admins may reject a pending organization
-- or suspend a verified one, with a reason its members are told.

ALTER TABLE users ADD COLUMN membership TEXT NOT NULL DEFAULT 'MEMBER';
ALTER TABLE users ADD COLUMN joined_via TEXT NOT NULL DEFAULT 'REGISTRATION';
ALTER TABLE users ADD COLUMN removed_at TEXT;

UPDATE users SET joined_via = 'COMMAND_LINE' WHERE role = 'ADMIN';
UPDATE users SET membership = 'MANAGER'
WHERE NOT EXISTS (
    SELECT 1 FROM users earlier
    WHERE earlier.organization_id = users.organization_id
      AND (earlier.created_at < users.created_at
           OR (earlier.created_at = users.created_at AND earlier.id < users.id))
);

ALTER TABLE organizations ADD COLUMN status_reason TEXT;

-- An invitation to join an organization: the token is stored only as its SHA-256 hash, is single
-- use and expires after seven days. A new invitation to the same address replaces the open one.
CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    email            TEXT NOT NULL,
    invited_by       TEXT NOT NULL REFERENCES users (id),
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    accepted_at      TEXT,
    accepted_user_id TEXT REFERENCES users (id),
    revoked_at       TEXT
);
CREATE INDEX invitations_organization ON invitations (organization_id, created_at);
CREATE INDEX invitations_email ON invitations (email);
