-- County scenario managers (县级场景经理人): users of the operator with the role COUNTY_MANAGER
-- and the region they look after; invitations may appoint one.
ALTER TABLE users ADD COLUMN region_code TEXT REFERENCES regions (code);
CREATE INDEX users_role_region ON users (role, region_code);
ALTER TABLE invitations ADD COLUMN role TEXT;
ALTER TABLE invitations ADD COLUMN region_code TEXT REFERENCES regions (code);
