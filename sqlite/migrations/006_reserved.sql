-- Reserved: migration 006 is another change's. This file only keeps the
-- numbering unbroken on its own; the real 006 replaces it when they meet.
SELECT 1;
