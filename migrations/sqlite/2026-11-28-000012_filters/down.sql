DROP TABLE filter_keywords;
DROP TABLE filters;
