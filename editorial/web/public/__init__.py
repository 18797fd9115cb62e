"""The public pages: the article index, published articles and their versions, the editorial policy, and
readers' problem reports and follow-up questions.

They live in `editorial` rather than in `articles` because a page shows review records (`reviewers`) and
takes reports through an `editorial` service; the dependency direction is editorial → reviewers → articles.
`selectors` reads, `presentation` shapes what the template shows, `structured_data` writes the JSON-LD,
`caching` answers conditional requests, `views` ties them together.
"""
