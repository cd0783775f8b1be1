-- One-time sign-in links (`npm start`'s local admin link): a link's nonce, recorded on its first use,
-- so the same link never signs anyone in twice. Rows past `expires_at` can be deleted.
CREATE TABLE used_sign_in_links (
  nonce TEXT PRIMARY KEY NOT NULL,
  used_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
