"""The Scrapy project: fetch supplier pages and turn each into one PriceObservation item."""
