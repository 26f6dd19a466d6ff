"""The analyses: one module per chapter's questions, tidy frames and plain values out.

``arms`` (the total and the arm order), ``population`` (who took part), ``efficacy``
(SRI and disease activity), ``organ`` (organ-specific response), ``markers`` (laboratory
markers and T-cell subsets), and the safety analyses. No module here imports display
code: tables, figures and words are made in :mod:`helpers.present`.
"""
