"""YouTube Data API v3 videos.list and channels.list -> unified schema."""

PLATFORM = "youtube"
RESPONSE_TYPE = """STRUCT(
  items STRUCT(id VARCHAR, snippet STRUCT(publishedAt VARCHAR, channelId VARCHAR),
               statistics STRUCT(viewCount VARCHAR, likeCount VARCHAR, commentCount VARCHAR,
                                 subscriberCount VARCHAR, hiddenSubscriberCount BOOLEAN))[],
  error STRUCT(code VARCHAR, message VARCHAR))"""

FIELDS = {
    "published": "snippet.publishedAt",
    "likes": "statistics.likeCount",
    "comments": "statistics.commentCount",
    "views": "statistics.viewCount",
}
REQUIRED_COUNTS = ()  # likeCount absent = hidden, commentCount absent = 0

ERROR = "CASE WHEN r.error IS NOT NULL THEN 'code ' || coalesce(r.error.code, '?') || ': ' || coalesce(r.error.message, '') END"
POSTS_LIST = "r.items"
PAGE_MEDIA = None  # media are inside each post
RAW_POST = "json_extract(text, '$.response.items[' || pos || ']')"

POST_FIELDS = """
  p.id AS post_id, p.snippet.publishedAt AS published_text, 'video' AS media_kind,
  p.statistics.likeCount AS likes_text, p.statistics.commentCount AS comments_text,
  NULL::VARCHAR AS shares_text, NULL::VARCHAR AS quotes_text, p.statistics.viewCount AS views_text,
  (p.statistics.likeCount IS NULL) AS hidden"""

# a channel that hides its subscriber count has no known audience
FOLLOWERS = "CASE WHEN NOT coalesce(r.items[1].statistics.hiddenSubscriberCount, false) THEN r.items[1].statistics.subscriberCount END"
# a channel may hide its subscriber count: its audience is unknown, not zero
FOLLOWERS_HIDDEN = "coalesce(r.items[1].statistics.hiddenSubscriberCount, false)"
FOLLOWERS_FIELD = "items[0].statistics.subscriberCount"
