"""Pure rules of the desk: roles, regions, check-ins, deadlines, figures.

Imports neither telegram nor sqlalchemy nor any outer layer.
"""
