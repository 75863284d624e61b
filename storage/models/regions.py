"""Administrative regions and polling stations (TPS) from the KPU 2024 list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Province(Base):
    __tablename__ = "province"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Overrides the WIB/WITA/WIT default derived from the province code.
    timezone: Mapped[str | None] = mapped_column(String(40), default=None)


class Regency(Base):
    __tablename__ = "regency"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class District(Base):
    __tablename__ = "district"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    regency_code: Mapped[str] = mapped_column(ForeignKey("regency.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class Village(Base):
    __tablename__ = "village"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    tps_count: Mapped[int] = mapped_column(Integer)


class Tps(Base):
    """One polling station; region codes are denormalised so coverage queries need no joins."""

    __tablename__ = "tps"

    id: Mapped[str] = mapped_column(String(14), primary_key=True)  # 3604012001-003
    village_code: Mapped[str] = mapped_column(ForeignKey("village.code"))
    number: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    regency_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    # Set when a newer list for its region left it out but people or check-ins point at it:
    # kept apart (not counted, not offered), never deleted.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index("ix_tps_village_code", "village_code"),
        Index("ix_tps_district_code", "district_code"),
        Index("ix_tps_regency_code", "regency_code"),
        Index("ix_tps_province_code", "province_code"),
    )


class TpsList(Base):
    """Which TPS list is loaded for a region (one row per `deskbot import-tps`)."""

    __tablename__ = "tps_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(14), index=True)  # "" for the nation
    name: Mapped[str] = mapped_column(String(200))  # e.g. "Pilkada 2024" or the file name
    file_name: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tps: Mapped[int] = mapped_column(Integer)  # TPS in the region after loading
    retired: Mapped[int] = mapped_column(Integer, default=0)  # kept apart by this load
    removed: Mapped[int] = mapped_column(Integer, default=0)  # deleted (nothing pointed at them)
