DROP TABLE status_links;
DROP TABLE link_cards;
