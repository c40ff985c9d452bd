-- Attachments of outgoing e-mail (an event's calendar entry), as a JSON array of
-- {filename, contentType, body}; NULL for none.
ALTER TABLE email_outbox ADD COLUMN attachments TEXT;
