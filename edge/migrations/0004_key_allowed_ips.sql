-- Keys usable only from some addresses: a JSON array of CIDR ranges ("10.0.0.0/8", "2001:db8::/32");
-- NULL: from anywhere.
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;
