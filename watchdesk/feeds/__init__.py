"""Warnings in: fetching (httpx), adapters (rss, json presets, html listing, csv), normalizing.

Nothing here touches the database: adapters turn bytes into `RawItem`s, `normalize`
turns those into `FeedItem`s, and watchdesk.services.ingest stores them.
"""
