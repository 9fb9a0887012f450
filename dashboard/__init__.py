"""The buyers' dashboard (Streamlit): ``streamlit run dashboard/app.py``."""
